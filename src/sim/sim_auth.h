/* sim_auth.h: --require-auth of tmfinv-sim: HTTP Basic, static bearer tokens, and an OAuth2
 * token endpoint in ServiceNow's style (POST /oauth_token.do) issuing expiring bearer tokens.
 *
 * The accepted credentials come from --auth-file and stay in memory only: nothing here prints,
 * and no error message or response ever quotes a secret. Issued tokens live in a bounded ring
 * (the oldest is forgotten when it is full) with an expiry on the monotonic clock. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "sim_json.h"

enum sim_auth_kind { SIM_AUTH_NONE = 0, SIM_AUTH_BASIC, SIM_AUTH_BEARER, SIM_AUTH_OAUTH2 };

/* The outcome of checking a resource request's credentials. */
enum sim_auth_result {
    SIM_AUTH_OK = 0,
    SIM_AUTH_MISSING,       /* no Authorization header, or another scheme */
    SIM_AUTH_INVALID,       /* wrong credentials or unknown token */
    SIM_AUTH_EXPIRED        /* an issued access token past its expiry */
};

struct sim_auth;

/* Reads the credentials of `kind` from `path` (see docs/simulator.md for the format).
 * Returns 0 and sets *out, or -1 with a one-line message in `error` that names the file and the
 * line number but never a credential. */
int sim_auth_load(enum sim_auth_kind kind, const char *path, uint32_t token_ttl, uint64_t seed,
          struct sim_auth **out, char *error, size_t error_size);
/* Wipes the secrets and frees everything. Accepts NULL. */
void sim_auth_free(struct sim_auth *auth);

enum sim_auth_kind sim_auth_kind_of(const struct sim_auth *auth);

/* Checks the Authorization header (NULL when absent) of a resource request. */
enum sim_auth_result sim_auth_check(struct sim_auth *auth, const char *authorization);
/* The WWW-Authenticate value for a 401 with `result` (a static string). */
const char *sim_auth_challenge(const struct sim_auth *auth, enum sim_auth_result result);

/* Answers a request to the token endpoint: `method`, the Authorization header (NULL when
 * absent) and the form-encoded body. Writes the JSON answer into `buf` and returns the HTTP
 * status (200, 400, 401 or 405). */
unsigned sim_auth_token(struct sim_auth *auth, const char *method, const char *authorization,
            const char *body, size_t body_len, struct sim_buf *buf);

/* Makes every access token issued so far expire now (refresh tokens stay valid). */
void sim_auth_expire_all(struct sim_auth *auth);

#endif
