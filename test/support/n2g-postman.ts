/**
 * Bodies from Newsletter2Go's Postman collection, as published, for the tests that send or expect
 * them. src/providers/newsletter2go/attributes.ts writes the attribute body on its own: the tests
 * hold their copy so that they check the provider code against the collection, not against itself.
 */

/** The collection's `POST /attributes` body (list_ids and name filled in per test). */
export const POSTMAN_ATTRIBUTE_BODY = {
  list_ids: ['<list_id>'],
  name: 'New_Attribute',
  display: 'all',
  type: 'text',
  sub_type: 'text',
  is_enum: false,
  is_public: false,
  is_multiselect: false,
  html_element_type: 'input',
  is_global: false,
  default_value: '',
};
