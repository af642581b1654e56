/* credentials.h: how a source's requests are authenticated — none, basic, a bearer
 * token from a file or the environment, or OAuth2 (password or client-credentials
 * grant, ServiceNow's oauth_token.do style) with the token cached, refreshed before it
 * expires, and refreshed at once when the source answers 401.
 *
 * Secrets never leave this module except in the Authorization header of a request;
 * error messages name the token URL and the HTTP status only. */
#ifndef TMFINV_CREDENTIALS_H
#define TMFINV_CREDENTIALS_H

#include "config.h"

#include <curl/curl.h>

typedef struct tmfinv_credentials tmfinv_credentials;

/* Prepares the credentials of source `src` (borrowed; must outlive them). */
int tmfinv_credentials_new(const tmfinv_source_config *src, tmfinv_credentials **out);
void tmfinv_credentials_free(tmfinv_credentials *c);

/* Sets up `easy` for an authenticated request: basic credentials, or an
 * "Authorization: Bearer" header added to `headers` (a list the caller frees after
 * the request). With `refresh` an OAuth2 token is fetched anew even if it has not
 * expired (after a 401). Fails with TMFINV_EHTTP (token endpoint refused or
 * unreachable; message without secrets) or TMFINV_ENOMEM. */
int tmfinv_credentials_apply(tmfinv_credentials *c, CURL *easy, struct curl_slist **headers, int refresh);

/* How many tokens were fetched so far (OAuth2), for logs and tests. */
int tmfinv_credentials_token_fetches(const tmfinv_credentials *c);

#endif
