'use strict';
// The managed SDK's error classes (shared by its Python and Node clients), and the native layer's errors turned
// into them: a native error's message is a JSON object {class, message, retryable, notFound}.

class ManagedServiceError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}
class AuthError extends ManagedServiceError {}
class TokenError extends AuthError {}
class CredentialsError extends ManagedServiceError {}
class IngestError extends ManagedServiceError {}
class TableError extends ManagedServiceError {}
class WorkspaceError extends ManagedServiceError {}
/** A local SQL error (lakefeed's own class, under TableError). */
class QueryError extends TableError {}

const CLASSES = {
  ManagedServiceError, AuthError, TokenError, CredentialsError, IngestError, TableError, WorkspaceError, QueryError,
};

/** The SDK error a native error stands for (other errors pass through unchanged). */
function fromNative(err) {
  if (!(err instanceof Error)) return err;
  let body;
  try {
    body = JSON.parse(err.message);
  } catch {
    return err;
  }
  if (!body || typeof body.class !== 'string') return err;
  const Cls = CLASSES[body.class] || ManagedServiceError;
  const out = new Cls(body.message, { cause: err });
  out.retryable = Boolean(body.retryable);
  out.notFound = Boolean(body.notFound);
  return out;
}

/** Awaits a native Promise, rethrowing its error as the SDK's class. */
async function call(promise) {
  try {
    return await promise;
  } catch (err) {
    throw fromNative(err);
  }
}

module.exports = { ...CLASSES, fromNative, call };
