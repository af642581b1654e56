/* hub.h: a source's TMF v4 hub, as its client — subscribing tmfinv's callback and
 * unsubscribing it (TMF638/TMF639 `POST …/hub` with an EventSubscriptionInput, `DELETE
 * …/hub/{id}`), with the source's own credentials, TLS and proxy settings.
 *
 * The hub of a source is its collection URL with the last path segment replaced by `hub`
 * (`…/serviceInventory/v4/service` → `…/serviceInventory/v4/hub`, `/tmf638/service` →
 * `/tmf638/hub`), which is where TMF v4 puts it. Error messages name the hub URL and the
 * HTTP status, never a secret nor the callback (which carries one). */
#ifndef TMFINV_HUB_H
#define TMFINV_HUB_H

#include "config.h"

#include <stddef.h>

#define TMFINV_HUB_ID_MAX 256   /* bytes of a subscription id kept (longer ones are refused) */

/* The hub URL of `src` into buf. TMFINV_ELIMIT when it does not fit, TMFINV_EINVALID when
 * the collection URL has no path segment to replace. */
int tmfinv_hub_url(const tmfinv_source_config *src, char *buf, size_t len);

/* Subscribes `callback` to the hub of `src`; on success writes the subscription's id into
 * `id` (TMFINV_HUB_ID_MAX bytes). Fails with TMFINV_EHTTP (an answer other than 200/201, or
 * one without an id), TMFINV_EIO (unreachable, timeout) or TMFINV_ENOMEM. */
int tmfinv_hub_subscribe(const tmfinv_source_config *src, const char *callback, char id[TMFINV_HUB_ID_MAX]);

/* Deletes subscription `id` at the hub of `src`. 0 on 200/202/204, TMFINV_ENOTFOUND on 404
 * (the source does not know it), else as tmfinv_hub_subscribe. */
int tmfinv_hub_unsubscribe(const tmfinv_source_config *src, const char *id);

#endif
