/* credentials.c: source authentication (see credentials.h). */
#include "credentials.h"

#include "tmfinv_buf.h"
#include "tmfinv_error.h"
#include "tmfinv_misc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_BODY_MAX (64 * 1024)

struct tmfinv_credentials {
    const tmfinv_source_config *src;
    char *access_token;     /* OAuth2: the current token */
    char *refresh_token;    /* OAuth2: to renew it, when the server gave one */
    int64_t expires_at_ms;  /* monotonic time the token expires */
    int64_t lifetime_ms;
    int fetches;
};

static void wipe(char **p)
{
    if (*p) {
        memset(*p, 0, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

int tmfinv_credentials_new(const tmfinv_source_config *src, tmfinv_credentials **out)
{
    tmfinv_credentials *c = calloc(1, sizeof(*c));

    if (!c)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    c->src = src;
    *out = c;
    return 0;
}

void tmfinv_credentials_free(tmfinv_credentials *c)
{
    if (!c)
        return;
    wipe(&c->access_token);
    wipe(&c->refresh_token);
    free(c);
}

int tmfinv_credentials_token_fetches(const tmfinv_credentials *c)
{
    return c->fetches;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    return tmfinv_buf_append(ctx, p, size * n) < 0 ? 0 : size * n;
}

/* Appends "&name=value" (URL-encoded) to a form body. */
static int form_add(CURL *easy, tmfinv_buf *form, const char *name, const char *value)
{
    char *enc = curl_easy_escape(easy, value, 0);
    int rc;

    if (!enc)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    rc = tmfinv_buf_printf(form, "%s%s=%s", form->len ? "&" : "", name, enc);
    memset(enc, 0, strlen(enc));
    curl_free(enc);
    return rc;
}

/* Fetches a token from the token endpoint, by refresh token when we have one and
 * `use_refresh` is set, else by the configured grant. */
static int fetch_token(tmfinv_credentials *c, int use_refresh)
{
    const tmfinv_source_config *s = c->src;
    CURL *easy = curl_easy_init();
    tmfinv_buf form, body;
    struct curl_slist *headers = NULL;
    cJSON *json = NULL;
    const cJSON *token, *refresh, *expires;
    long status = 0;
    CURLcode cc;
    int rc = 0;

    tmfinv_buf_init(&form, 16 * 1024);
    tmfinv_buf_init(&body, TOKEN_BODY_MAX);
    if (!easy) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if (use_refresh && c->refresh_token) {
        rc = form_add(easy, &form, "grant_type", "refresh_token");
        if (rc == 0)
            rc = form_add(easy, &form, "refresh_token", c->refresh_token);
    } else if (s->grant == TMFINV_GRANT_PASSWORD) {
        rc = form_add(easy, &form, "grant_type", "password");
        if (rc == 0)
            rc = form_add(easy, &form, "username", s->username);
        if (rc == 0)
            rc = form_add(easy, &form, "password", s->password);
    } else
        rc = form_add(easy, &form, "grant_type", "client_credentials");
    if (rc == 0)
        rc = form_add(easy, &form, "client_id", s->client_id);
    if (rc == 0)
        rc = form_add(easy, &form, "client_secret", s->client_secret);
    if (rc < 0)
        goto out;
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(easy, CURLOPT_URL, s->token_url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* The client secret and password go to token_url only: a redirect is refused, never
     * followed (libcurl's defaults, made explicit). */
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
    if (s->insecure) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca_file)
        curl_easy_setopt(easy, CURLOPT_CAINFO, s->ca_file);
    /* The token request goes the way the pages go. */
    if (s->proxy)
        curl_easy_setopt(easy, CURLOPT_PROXY, s->proxy);
    if (s->no_proxy || (s->proxy && s->proxy[0]))
        curl_easy_setopt(easy, CURLOPT_NOPROXY, s->no_proxy ? s->no_proxy : "");
    cc = curl_easy_perform(easy);
    c->fetches++;
    if (cc != CURLE_OK) {
        rc = tmfinv_error_set(TMFINV_EHTTP, "token endpoint %s: %s", s->token_url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    json = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
    if (status != 200) {
        const cJSON *err = json ? cJSON_GetObjectItemCaseSensitive(json, "error") : NULL;

        /* A refresh token the server no longer accepts: try the grant itself once. */
        if (use_refresh && c->refresh_token) {
            wipe(&c->refresh_token);
            cJSON_Delete(json);
            json = NULL;
            curl_easy_cleanup(easy);
            easy = NULL;
            curl_slist_free_all(headers);
            headers = NULL;
            tmfinv_buf_free(&form);
            tmfinv_buf_free(&body);
            return fetch_token(c, 0);
        }
        rc = tmfinv_error_set(TMFINV_EHTTP, "token endpoint %s: HTTP %ld%s%s%s", s->token_url, status,
                              cJSON_IsString(err) ? " " : "", cJSON_IsString(err) ? err->valuestring : "",
                              status >= 300 && status <= 399 ? " (a redirect, not followed: set token_url to the "
                                                               "final address)"
                                                             : "");
        goto out;
    }
    token = json ? cJSON_GetObjectItemCaseSensitive(json, "access_token") : NULL;
    if (!cJSON_IsString(token) || !*token->valuestring || strlen(token->valuestring) > 8192) {
        rc = tmfinv_error_set(TMFINV_EHTTP, "token endpoint %s: no access_token in its answer", s->token_url);
        goto out;
    }
    wipe(&c->access_token);
    c->access_token = strdup(token->valuestring);
    refresh = cJSON_GetObjectItemCaseSensitive(json, "refresh_token");
    if (cJSON_IsString(refresh) && *refresh->valuestring && strlen(refresh->valuestring) <= 8192) {
        wipe(&c->refresh_token);
        c->refresh_token = strdup(refresh->valuestring);
    }
    expires = cJSON_GetObjectItemCaseSensitive(json, "expires_in");
    c->lifetime_ms = cJSON_IsNumber(expires) && expires->valuedouble > 0 ? (int64_t)(expires->valuedouble * 1000)
                                                                         : 3600 * 1000;
    c->expires_at_ms = tmfinv_time_monotonic_ms() + c->lifetime_ms;
    if (!c->access_token)
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
out:
    if (json) {
        /* The parsed answer holds the token: clear it before freeing. */
        token = cJSON_GetObjectItemCaseSensitive(json, "access_token");
        if (cJSON_IsString(token))
            memset(token->valuestring, 0, strlen(token->valuestring));
        cJSON_Delete(json);
    }
    if (body.data)
        memset(body.data, 0, body.len);
    if (form.data)
        memset(form.data, 0, form.len);
    tmfinv_buf_free(&form);
    tmfinv_buf_free(&body);
    curl_slist_free_all(headers);
    if (easy)
        curl_easy_cleanup(easy);
    return rc;
}

int tmfinv_credentials_apply(tmfinv_credentials *c, CURL *easy, struct curl_slist **headers, int refresh)
{
    const tmfinv_source_config *s = c->src;
    const char *token = NULL;
    tmfinv_buf h;
    struct curl_slist *grown;
    int rc;

    switch (s->auth) {
    case TMFINV_AUTH_NONE:
        return 0;
    case TMFINV_AUTH_BASIC:
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(easy, CURLOPT_USERNAME, s->username);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, s->password);
        return 0;
    case TMFINV_AUTH_BEARER:
        token = s->token;
        break;
    case TMFINV_AUTH_OAUTH2: {
        int64_t left = c->expires_at_ms - tmfinv_time_monotonic_ms();
        int64_t margin = c->lifetime_ms / 10 < 30000 ? c->lifetime_ms / 10 : 30000;

        /* Renew before expiry: when less than a tenth of its life (at most 30 s) is left. */
        if (refresh || !c->access_token || left <= margin) {
            rc = fetch_token(c, !refresh);
            if (rc < 0)
                return rc;
        }
        token = c->access_token;
        break;
    }
    }
    tmfinv_buf_init(&h, 16 * 1024);
    if ((rc = tmfinv_buf_printf(&h, "Authorization: Bearer %s", token)) < 0)
        return rc;
    grown = curl_slist_append(*headers, h.data);
    memset(h.data, 0, h.len);
    tmfinv_buf_free(&h);
    if (!grown)
        return tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
    *headers = grown;
    return 0;
}
