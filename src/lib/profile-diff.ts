/** The profile fields the engine compares with a provider's contact, named without their values. */
export type ProfileField = 'email' | 'firstName' | 'lastName' | 'gender';

interface Profile {
  email: string | null;
  firstName: string;
  lastName: string;
  /** null: the provider stores no gender, so there is none to compare. */
  gender: string | null;
}

/** Fields that differ: e-mails case-insensitively (contract §1), names exactly, an unknown gender as none. */
export function profileDiff(want: Profile, have: Profile): ProfileField[] {
  const fields: ProfileField[] = [];
  if ((want.email ?? '').toLowerCase() !== (have.email ?? '').toLowerCase()) fields.push('email');
  if (want.firstName !== have.firstName) fields.push('firstName');
  if (want.lastName !== have.lastName) fields.push('lastName');
  if (want.gender !== null && have.gender !== null && normalGender(want.gender) !== normalGender(have.gender))
    fields.push('gender');
  return fields;
}

const normalGender = (g: string): 'm' | 'f' | '' => (g === 'm' || g === 'f' ? g : '');
