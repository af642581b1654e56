/* sim_http_send.c: how tmfinv-sim hands a rendered reply to libmicrohttpd — whole, dribbled
 * (--slow-ms), cut short (--truncate) or as a TCP reset (--reset), with the headers of each
 * dialect (X-Total-Count, Link, Retry-After, rate-limit headers) — see sim_http_int.h. */
#include "sim_http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

/* A body sent through a reader: dribbled (slow) or cut short (truncated). */
struct sim_http_stream {
    char *body;
    size_t len;
    size_t limit;           /* bytes to send before failing (len when not truncated) */
    size_t chunk;           /* bytes between two pauses (slow), or len */
    uint32_t pause_ms;      /* each pause (slow) */
    uint64_t paused_at;     /* the chunk boundary of the last pause */
};

static ssize_t sim_http_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct sim_http_stream *stream = cls;
    uint64_t chunk_end;
    size_t n;

    if (pos >= stream->limit)
        return stream->limit < stream->len ? MHD_CONTENT_READER_END_WITH_ERROR
                           : MHD_CONTENT_READER_END_OF_STREAM;
    if (stream->pause_ms && pos > 0 && pos % stream->chunk == 0 && stream->paused_at != pos) {
        stream->paused_at = pos;
        sim_http_sleep_ms(stream->pause_ms);
    }
    chunk_end = (pos / stream->chunk + 1) * stream->chunk;
    if (chunk_end > stream->limit)
        chunk_end = stream->limit;
    n = (size_t)(chunk_end - pos);
    if (n > max)
        n = max;
    memcpy(out, stream->body + pos, n);
    return (ssize_t)n;
}

static void sim_http_stream_free(void *cls)
{
    struct sim_http_stream *stream = cls;

    free(stream->body);
    free(stream);
}

/* Closes the connection with a TCP reset and no response. */
static enum MHD_Result sim_http_reset(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger hard = { 1, 0 };

    if (info)
        (void)setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    return MHD_NO;
}

static struct MHD_Response *sim_http_stream_response(struct sim_http *server,
                             struct sim_reply *reply)
{
    struct sim_http_stream *stream = calloc(1, sizeof(*stream));
    struct MHD_Response *response;
    size_t pieces;

    if (!stream)
        return NULL;
    stream->body = reply->body;
    stream->len = reply->len;
    stream->limit = reply->delivery == SIM_SEND_TRUNCATED ? reply->cut : reply->len;
    stream->chunk = reply->len ? reply->len : 1;
    if (reply->delivery == SIM_SEND_SLOW && reply->len > 1) {
        /* ten pieces (fewer for tiny bodies): the first at once, nine pauses in between */
        pieces = reply->len < 10 ? reply->len : 10;
        stream->chunk = (reply->len + pieces - 1) / pieces;
        pieces = (reply->len + stream->chunk - 1) / stream->chunk;
        stream->pause_ms = pieces > 1 ? server->options.fault.slow_ms / (uint32_t)(pieces - 1) : 0;
    }
    response = MHD_create_response_from_callback(reply->len, 16 * 1024, sim_http_stream_read,
                             stream, sim_http_stream_free);
    if (!response) {
        free(stream);
        return NULL;
    }
    reply->body = NULL;     /* owned by the stream now */
    return response;
}

enum MHD_Result sim_http_send(struct sim_http *server, struct MHD_Connection *conn,
                     struct sim_reply *reply)
{
    struct MHD_Response *response;
    enum MHD_Result rc;
    char number[32];

    if (reply->delivery == SIM_SEND_RESET) {
        free(reply->body);
        return sim_http_reset(conn);
    }
    if (!reply->body)
        return MHD_NO;
    if (reply->delivery == SIM_SEND_WHOLE) {
        response = MHD_create_response_from_buffer(reply->len, reply->body,
                               MHD_RESPMEM_MUST_FREE);
        if (response)
            reply->body = NULL;
    } else {
        response = sim_http_stream_response(server, reply);
    }
    if (!response) {
        free(reply->body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                reply->content_type ? reply->content_type : SIM_CONTENT_TYPE);
    if (reply->link[0])
        MHD_add_response_header(response, "Link", reply->link);
    if (reply->counted) {
        if (!server->options.no_total_count &&
            snprintf(number, sizeof(number), "%llu", (unsigned long long)reply->total) > 0)
            MHD_add_response_header(response, "X-Total-Count", number);
        if (snprintf(number, sizeof(number), "%llu", (unsigned long long)reply->result) > 0)
            MHD_add_response_header(response, "X-Result-Count", number);
    }
    if (reply->allow)
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply->allow);
    if (reply->www_authenticate)
        MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                    reply->www_authenticate);
    if (reply->retry_after[0])
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, reply->retry_after);
    if (reply->rate_limit) {
        if (snprintf(number, sizeof(number), "%u", (unsigned)reply->rate_limit) > 0)
            MHD_add_response_header(response, "X-RateLimit-Limit", number);
        if (snprintf(number, sizeof(number), "%lld", (long long)time(NULL) + 1) > 0)
            MHD_add_response_header(response, "X-RateLimit-Reset", number);
    }
    rc = MHD_queue_response(conn, reply->status, response);
    MHD_destroy_response(response);
    return rc;
}
