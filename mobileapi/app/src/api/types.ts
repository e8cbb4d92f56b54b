// Names for the generated types of the phones' OpenAPI document
// (schema.d.ts, from openapi.json by `npm run api-types`): the same names
// as the backend's, so a field is called the same from MongoDB to here.
import type { components, paths } from './schema';

type S = components['schemas'];
export type Task = S['Task'];
export type TaskView = S['TaskView'];
export type Template = S['Template'];
export type Question = S['Question'];
export type Answer = S['Answer'];
export type Member = S['Member'];
export type TargetInfo = S['TargetInfo'];
export type Tokens = S['Tokens'];
export type ErrorBody = S['ErrorBody'];
export type LoginRequest = paths['/mobile/v1/auth/login']['post']['requestBody']['content']['application/json'];
export type ResultCode = NonNullable<S['ResultInput']['code']>;
export type TaskStatus = Task['status'];
