import {
  RunDetail,
  RunningProblem,
  RunPage,
  RunQuery,
  RunsQuery,
  RunView,
  StartBody,
} from '../../schemas/reconciliations';
import type { Operation } from '../operation';

/** `/v1/admin/reconciliations` (contract §3): portal-led comparison with the provider. */

const json = 'application/json';
const admin = { tag: 'Admin', security: 'admin' } as const;

export const reconciliationOperations: Operation[] = [
  {
    ...admin,
    method: 'post',
    path: '/v1/admin/reconciliations',
    operationId: 'startReconciliation',
    summary: 'Start a reconciliation run',
    description:
      "Compares every mapped list (or those of `newsletterIds`) at the provider with the portal's desired state. `report` changes nothing at the provider; `heal` re-pushes the portal's state through the sync queue. " +
      'A recipient the portal holds as subscribed but the provider shows unsubscribed, blacklisted or bounced is a consent conflict: in either mode it is marked on the subscription and the portal is told (`subscription.conflict`, once per conflict); the worker never re-subscribes. ' +
      'One run at a time; the work continues in queue chunks, so the answer comes at once.',
    body: { required: true, content: { [json]: StartBody } },
    responses: {
      '202': { description: 'Started; poll the run.', content: { [json]: RunView } },
      '409': {
        description: 'A run is still running; its id is named in `runningRunId`.',
        content: { 'application/problem+json': RunningProblem },
      },
    },
    problems: ['bad-request', 'validation'],
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/reconciliations',
    operationId: 'listReconciliations',
    summary: 'Reconciliation runs, newest first',
    query: RunsQuery,
    responses: { '200': { description: 'One page of runs.', content: { [json]: RunPage } } },
    problems: ['validation'],
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/reconciliations/{id}',
    operationId: 'getReconciliation',
    summary: 'One run with its findings',
    description: 'The run, its counts per drift class and one page of findings (filter by `driftClass`).',
    pathParams: { id: { type: 'string', pattern: '^rcn_[a-z0-9]{17}$' } },
    query: RunQuery,
    responses: { '200': { description: 'The run and a page of findings.', content: { [json]: RunDetail } } },
    problems: ['not-found', 'validation'],
  },
];
