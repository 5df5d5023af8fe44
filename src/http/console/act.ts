import type { Request, Response } from 'express';
import { isIdsyncError } from '../../domain/errors.js';
import { esc, notice } from './layout.js';
import type { Fail } from './router.js';

/** Renders a page with notices (HTML, built with notice()) and a status. */
export type Render = (req: Request, res: Response, notices: string[], status?: number) => Promise<void>;

/**
 * A console POST: runs the action and answers with the page and what happened; a refusal the person
 * can act on (a coded 4xx) comes back as the same page with an error notice; anything else is the
 * console's problem page.
 */
export function actions(render: Render, fail: Fail) {
  return (fn: (req: Request, res: Response) => Promise<string[]>) => async (req: Request, res: Response) => {
    try {
      await render(req, res, await fn(req, res), 200);
    } catch (err) {
      if (!isIdsyncError(err) || err.status >= 500 || err.code.startsWith('console.')) return fail(res, err);
      try {
        await render(req, res, [notice(`Not done: ${esc(err.message)}`, 'error')], err.status);
      } catch (again) {
        fail(res, again);
      }
    }
  };
}

/** A GET page: renders, or the console's problem page. */
export function view(render: Render, fail: Fail) {
  return async (req: Request, res: Response) => {
    try {
      await render(req, res, [], 200);
    } catch (err) {
      fail(res, err);
    }
  };
}

export const field = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
