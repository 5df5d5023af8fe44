import { ScimError } from './errors.js';
import { matches, valuesAt } from './filter/evaluate.js';
import { parseAttrPath, parseFilter, type AttrPath, type FilterNode } from './filter/parse.js';
import { parseProjection, type Projection } from './projection.js';
import { DEFAULT_COUNT, LIST_SCHEMA, MAX_RESULTS } from './schemas.js';

export interface ListQuery {
  filter?: FilterNode;
  /** 1-based, as in RFC 7644. */
  startIndex: number;
  count: number;
  sortBy?: AttrPath;
  descending: boolean;
  projection: Projection;
  /** RFC 9865: present (possibly empty, for the first page) when the client pages by cursor. */
  cursor?: string;
  /** The filter as the client wrote it (a cursor belongs to one filter). */
  filterText?: string;
}

function intParam(q: Record<string, unknown>, name: string): number | undefined {
  const raw = q[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new ScimError(400, `${name} must be an integer`, 'invalidValue');
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ScimError(400, `${name} must be an integer, got '${String(raw)}'`, 'invalidValue');
  return n;
}

/** Parses list parameters from a query string or a /.search body. */
export function parseListQuery(q: Record<string, unknown>): ListQuery {
  const filterText = q.filter;
  if (filterText !== undefined && typeof filterText !== 'string') throw new ScimError(400, 'filter must be a string', 'invalidFilter');
  const sortBy = q.sortBy;
  if (sortBy !== undefined && typeof sortBy !== 'string') throw new ScimError(400, 'sortBy must be an attribute name', 'invalidValue');
  const order = typeof q.sortOrder === 'string' ? q.sortOrder.toLowerCase() : undefined;
  if (order !== undefined && order !== 'ascending' && order !== 'descending') throw new ScimError(400, "sortOrder must be 'ascending' or 'descending'", 'invalidValue');
  let sortPath: AttrPath | undefined;
  if (sortBy) {
    try {
      sortPath = parseAttrPath(sortBy);
    } catch {
      throw new ScimError(400, `invalid sortBy attribute '${sortBy}'`, 'invalidValue');
    }
  }
  const cursor = q.cursor;
  if (cursor !== undefined) {
    if (typeof cursor !== 'string') throw new ScimError(400, 'cursor must be a string', 'invalidCursor');
    if (q.startIndex !== undefined && q.startIndex !== '') throw new ScimError(400, 'startIndex and cursor cannot be combined: page either by index or by cursor', 'invalidValue');
    if (q.sortBy !== undefined) throw new ScimError(400, 'sortBy cannot be combined with cursor paging: cursor pages follow creation order', 'invalidValue');
    const raw = q.count;
    if (raw !== undefined && raw !== '') {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS) throw new ScimError(400, `count must be between 1 and ${MAX_RESULTS} (maxPageSize) with cursor paging`, 'invalidCount');
    }
  }
  return {
    ...(cursor !== undefined ? { cursor: cursor as string } : {}),
    ...(filterText ? { filter: parseFilter(filterText), filterText } : {}),
    // RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1, a negative count as 0; we cap count at maxResults.
    // One past any real list is as good as 2^63: both answer an empty page, and stores take only safe integers.
    startIndex: Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, intParam(q, 'startIndex') ?? 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, intParam(q, 'count') ?? DEFAULT_COUNT)),
    ...(sortPath ? { sortBy: sortPath } : {}),
    descending: order === 'descending',
    projection: parseProjection(q),
  };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

type Json = Record<string, unknown>;

/** Filter, sort and page resources that were gathered in creation order. */
export function filterSortPage(all: Json[], q: ListQuery): { page: Json[]; total: number } {
  let hits = q.filter ? all.filter((r) => matches(r, q.filter!)) : all;
  if (q.sortBy) {
    const path = q.sortBy;
    const keyOf = (r: Json) => {
      const v = valuesAt(r, path)[0];
      return typeof v === 'string' ? v.toLowerCase() : v;
    };
    // Stable: equal keys keep creation order; missing values sort last either way (RFC 7644 §3.4.2.3).
    hits = hits
      .map((r, i) => ({ r, i, k: keyOf(r) }))
      .sort((a, b) => {
        if (a.k === undefined || a.k === null) return b.k === undefined || b.k === null ? a.i - b.i : 1;
        if (b.k === undefined || b.k === null) return -1;
        const c = a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
        return (q.descending ? -c : c) || a.i - b.i;
      })
      .map((x) => x.r);
  }
  return { page: hits.slice(q.startIndex - 1, q.startIndex - 1 + q.count), total: hits.length };
}

/** Whether a filter mentions an attribute (so handlers know to load e.g. `groups`). */
export function mentions(node: FilterNode | undefined, attr: string): boolean {
  if (!node) return false;
  switch (node.kind) {
    case 'and':
    case 'or':
      return mentions(node.left, attr) || mentions(node.right, attr);
    case 'not':
      return mentions(node.expr, attr);
    default:
      return node.path.attr.toLowerCase() === attr.toLowerCase();
  }
}
