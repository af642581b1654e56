/* hub.c: subscribing to and unsubscribing from a source's TMF hub (see hub.h). One
 * blocking libcurl request each, with the source's timeout (at most 10 s) and credentials;
 * an OAuth2 token refused with 401 is fetched anew once. */
#include "hub.h"

#include "credentials.h"
#include "tmfinv_error.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUB_ANSWER_MAX (64 * 1024)  /* an EventSubscription is a few hundred bytes */

typedef struct hub_answer {
    char data[HUB_ANSWER_MAX + 1];
    size_t len;
    int too_long;
} hub_answer;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    hub_answer *a = ctx;
    size_t bytes = size * n;

    if (a->len + bytes > HUB_ANSWER_MAX) {
        a->too_long = 1;
        return 0;
    }
    memcpy(a->data + a->len, data, bytes);
    a->len += bytes;
    a->data[a->len] = '\0';
    return bytes;
}

int tmfinv_hub_url(const tmfinv_source_config *src, char *buf, size_t len)
{
    const char *url = src->url, *scheme = strstr(url, "://"), *path, *end, *slash = NULL;
    int n;

    if (!scheme || !(path = strchr(scheme + 3, '/')))
        return tmfinv_error_set(TMFINV_EINVALID, "[source %s] url has no path: no hub to subscribe to", src->name);
    end = path + strcspn(path, "?#");
    while (end > path + 1 && end[-1] == '/')
        end--;
    for (const char *p = path; p < end; p++)
        if (*p == '/')
            slash = p;
    if (!slash || slash + 1 >= end)
        return tmfinv_error_set(TMFINV_EINVALID, "[source %s] url has no path: no hub to subscribe to", src->name);
    n = snprintf(buf, len, "%.*shub", (int)(slash + 1 - url), url);
    if (n < 0 || (size_t)n >= len)
        return tmfinv_error_set(TMFINV_ELIMIT, "[source %s] the hub URL is too long", src->name);
    return 0;
}

/* One request to the hub: method, URL and an optional JSON body; *status set on an answer. */
static int hub_request(const tmfinv_source_config *src, const char *method, const char *url, const char *body,
                       long *status, hub_answer *answer)
{
    tmfinv_credentials *cred = NULL;
    struct curl_slist *headers = NULL;
    CURL *easy = NULL;
    CURLcode cc = CURLE_OK;
    int rc, attempt;

    if ((rc = tmfinv_credentials_new(src, &cred)) < 0)
        goto out;
    for (attempt = 0; attempt < 2; attempt++) {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
        headers = NULL;
        answer->len = 0;
        answer->too_long = 0;
        answer->data[0] = '\0';
        if (!(easy = curl_easy_init()) || !(headers = curl_slist_append(NULL, "Accept: application/json")) ||
            (body && !(headers = curl_slist_append(headers, "Content-Type: application/json;charset=utf-8")))) {
            rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = tmfinv_credentials_apply(cred, easy, &headers, attempt > 0)) < 0)
            goto out;
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        }
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, answer);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(src->timeout_ms < 10000 ? src->timeout_ms : 10000));
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, src->insecure ? 0L : 1L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, src->insecure ? 0L : 2L);
        if (src->ca_file)
            curl_easy_setopt(easy, CURLOPT_CAINFO, src->ca_file);
        if (src->proxy)
            curl_easy_setopt(easy, CURLOPT_PROXY, src->proxy);
        if (src->no_proxy || (src->proxy && src->proxy[0]))
            curl_easy_setopt(easy, CURLOPT_NOPROXY, src->no_proxy ? src->no_proxy : "");
        cc = curl_easy_perform(easy);
        if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && answer->too_long)) {
            rc = tmfinv_error_set(TMFINV_EIO, "%s %s: %s", method, url, curl_easy_strerror(cc));
            goto out;
        }
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
        if (*status != 401 || src->auth != TMFINV_AUTH_OAUTH2)
            break;
    }
    rc = 0;
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    tmfinv_credentials_free(cred);
    return rc;
}

int tmfinv_hub_subscribe(const tmfinv_source_config *src, const char *callback, char id[TMFINV_HUB_ID_MAX])
{
    hub_answer *answer = calloc(1, sizeof(*answer));
    cJSON *input = cJSON_CreateObject(), *reply = NULL;
    char url[2048], *body = NULL;
    const char *got;
    long status = 0;
    int rc;

    if (!answer || !input || !cJSON_AddStringToObject(input, "callback", callback) ||
        !(body = cJSON_PrintUnformatted(input))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_hub_url(src, url, sizeof(url))) < 0 ||
        (rc = hub_request(src, "POST", url, body, &status, answer)) < 0)
        goto out;
    if (status != 200 && status != 201) {
        rc = tmfinv_error_set(TMFINV_EHTTP, "POST %s: HTTP %ld", url, status);
        goto out;
    }
    reply = answer->too_long ? NULL : cJSON_ParseWithLength(answer->data, answer->len);
    got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "id"));
    if (!got || !*got || strlen(got) >= TMFINV_HUB_ID_MAX || strpbrk(got, "/?#")) {
        rc = tmfinv_error_set(TMFINV_EHTTP, "POST %s: HTTP %ld without a usable subscription id", url, status);
        goto out;
    }
    (void)snprintf(id, TMFINV_HUB_ID_MAX, "%s", got);
    rc = 0;
out:
    cJSON_Delete(input);
    cJSON_Delete(reply);
    free(body);
    free(answer);
    return rc;
}

int tmfinv_hub_unsubscribe(const tmfinv_source_config *src, const char *id)
{
    hub_answer *answer = calloc(1, sizeof(*answer));
    char url[2048], target[2400];
    char *escaped = NULL;
    long status = 0;
    int rc, n;

    if (!answer || !(escaped = curl_easy_escape(NULL, id, 0))) {
        rc = tmfinv_error_set(TMFINV_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = tmfinv_hub_url(src, url, sizeof(url))) < 0)
        goto out;
    n = snprintf(target, sizeof(target), "%s/%s", url, escaped);
    if (n < 0 || (size_t)n >= sizeof(target)) {
        rc = tmfinv_error_set(TMFINV_ELIMIT, "the subscription URL is too long");
        goto out;
    }
    if ((rc = hub_request(src, "DELETE", target, NULL, &status, answer)) < 0)
        goto out;
    if (status == 404)
        rc = tmfinv_error_set(TMFINV_ENOTFOUND, "DELETE %s: HTTP 404 (the source does not know the subscription)",
                              target);
    else if (status != 200 && status != 202 && status != 204)
        rc = tmfinv_error_set(TMFINV_EHTTP, "DELETE %s: HTTP %ld", target, status);
out:
    curl_free(escaped);
    free(answer);
    return rc;
}
