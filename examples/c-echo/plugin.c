/*
 * c-echo: a faxbot plugin in C, written from docs/abi.md alone (no Rust, no library but libc).
 *
 * It answers every host call of ABI 1.0:
 *   health.check    -> ok
 *   event.deliver   -> decodes the whole event, logs its topic (a log.write notification), Ack
 *   route.serve     -> GET /echo: "<greeting> <query> <body>"; GET /count: a counter kept in
 *                      the host's key-value store (kv.get then kv.put, calls to the host);
 *                      any other path 404
 *   job.run         -> summary "ran <name>"
 *   plugin.shutdown -> Ack, then exit (docs/abi.md §6: the plugin must exit after its ack)
 *   anything else   -> `unsupported`; a body that does not decode -> `invalid`
 *
 * It serves one host call at a time. While it waits for the host's answer to its own call
 * it keeps reading (§5: a plugin must never stop reading): it answers health checks at once
 * and any other host request `unavailable`.
 *
 * Build: cc -static -O2 -o c-echo plugin.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FD 3
#define DEFAULT_MAX_FRAME (1024u * 1024u)
#define MAX_DEPTH 32

enum { KIND_REQUEST = 0, KIND_RESPONSE = 1, KIND_NOTIFICATION = 2, KIND_CANCEL = 3 };
enum { E_INVALID = 2, E_UNAVAILABLE = 6, E_UNSUPPORTED = 7, E_INTERNAL = 8 };

static uint32_t max_frame = DEFAULT_MAX_FRAME;
static char greeting[256] = "echo";
static uint64_t next_id = 1;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "c-echo: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* ---- output buffer: postcard encoding (§3) ---- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) die("out of memory");
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}
static void put_u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void put_varint(buf *b, uint64_t v) {
    while (v >= 0x80) {
        put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_u8(b, (uint8_t)v);
}
static void put_bytes(buf *b, const void *data, size_t n) {
    put_varint(b, n);
    put(b, data, n);
}
static void put_str(buf *b, const char *s) { put_bytes(b, s, strlen(s)); }

/* ---- input cursor: every read checks the bounds; a failure latches ---- */

typedef struct {
    const uint8_t *p;
    size_t len, at;
    int bad;
} cur;

static uint8_t get_u8(cur *c) {
    if (c->bad || c->at >= c->len) {
        c->bad = 1;
        return 0;
    }
    return c->p[c->at++];
}
/* An unsigned LEB128 of at most max_bytes bytes, its value within `bits` bits. */
static uint64_t get_varint_n(cur *c, int max_bytes, int bits) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        uint8_t byte = get_u8(c);
        if (c->bad) return 0;
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            if (bits < 64 && (v >> bits) != 0) c->bad = 1;
            if (i == 9 && byte > 1) c->bad = 1;
            return v;
        }
    }
    c->bad = 1;
    return 0;
}
static uint32_t get_u32(cur *c) { return (uint32_t)get_varint_n(c, 5, 32); }
static uint64_t get_u64(cur *c) { return get_varint_n(c, 10, 64); }
static int get_bool(cur *c) {
    uint8_t b = get_u8(c);
    if (b > 1) c->bad = 1;
    return b;
}
/* A length-prefixed byte string: points into the input, no copy. */
static const uint8_t *get_bytes(cur *c, size_t *n) {
    uint32_t len = get_u32(c);
    if (c->bad || len > c->len - c->at) {
        c->bad = 1;
        *n = 0;
        return NULL;
    }
    const uint8_t *p = c->p + c->at;
    c->at += len;
    *n = len;
    return p;
}
/* A String, copied NUL-terminated into out (cut to fit). UTF-8 is not checked here: the
 * host only sends valid UTF-8, and this plugin only echoes bytes back. */
static void get_str(cur *c, char *out, size_t cap) {
    size_t n;
    const uint8_t *p = get_bytes(c, &n);
    if (!out) return;
    size_t k = n < cap - 1 ? n : cap - 1;
    if (p) memcpy(out, p, k);
    out[p ? k : 0] = 0;
}
static void skip_str(cur *c) {
    size_t n;
    (void)get_bytes(c, &n);
}
static void skip_str_vec(cur *c) {
    uint32_t n = get_u32(c);
    for (uint32_t i = 0; i < n && !c->bad; i++) skip_str(c);
}
static void skip_pairs(cur *c) { /* Vec<(String, String)> */
    uint32_t n = get_u32(c);
    for (uint32_t i = 0; i < n && !c->bad; i++) {
        skip_str(c);
        skip_str(c);
    }
}
static void skip_option_u32(cur *c) { if (get_bool(c)) (void)get_u32(c); }
static void skip_option_u64(cur *c) { if (get_bool(c)) (void)get_u64(c); }
static void skip_option_str(cur *c) { if (get_bool(c)) skip_str(c); }

/* Value (§7.3): at most 32 levels, a scalar being 1. */
static void skip_value(cur *c, int level) {
    if (level > MAX_DEPTH) {
        c->bad = 1;
        return;
    }
    uint32_t tag = get_u32(c);
    switch (tag) {
    case 0: break;                                       /* Null */
    case 1: (void)get_bool(c); break;                    /* Bool */
    case 2: (void)get_u64(c); break;                     /* Int: zigzag varint */
    case 3: for (int i = 0; i < 8; i++) (void)get_u8(c); break; /* Float */
    case 4: case 5: skip_str(c); break;                  /* Text, Bytes */
    case 6: {                                            /* List */
        uint32_t n = get_u32(c);
        for (uint32_t i = 0; i < n && !c->bad; i++) skip_value(c, level + 1);
        break;
    }
    case 7: {                                            /* Map */
        uint32_t n = get_u32(c);
        for (uint32_t i = 0; i < n && !c->bad; i++) {
            skip_str(c);
            skip_value(c, level + 1);
        }
        break;
    }
    default: c->bad = 1;
    }
}
static void skip_fields(cur *c) { /* Vec<(String, Value)> */
    uint32_t n = get_u32(c);
    for (uint32_t i = 0; i < n && !c->bad; i++) {
        skip_str(c);
        skip_value(c, 1);
    }
}
static void skip_fax_job_event(cur *c) {
    skip_str(c);                    /* job_id */
    if (get_u32(c) > 1) c->bad = 1; /* direction */
    if (get_u32(c) > 6) c->bad = 1; /* state */
    skip_str(c);                    /* provider */
    skip_option_u32(c);             /* pages */
    (void)get_u32(c);               /* attempt */
    (void)get_u64(c);               /* queued_at_ms */
    skip_option_u64(c);             /* duration_ms */
    skip_option_str(c);             /* failure */
    skip_option_str(c);             /* remote_token */
}

/* ---- frames (§2) ---- */

static void write_all(const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(FD, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("writing to the host: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}
static void write_frame(const buf *body) {
    if (body->len == 0 || body->len > max_frame) die("a frame of %zu bytes", body->len);
    uint8_t h[4] = {(uint8_t)body->len, (uint8_t)(body->len >> 8), (uint8_t)(body->len >> 16),
                    (uint8_t)(body->len >> 24)};
    write_all(h, 4);
    write_all(body->p, body->len);
}
/* 1 when n bytes were read, 0 at a clean end of stream before any byte. */
static int read_all(uint8_t *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(FD, p + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("reading from the host: %s", strerror(errno));
        if (r == 0) {
            if (got == 0) return 0;
            die("the host's frame was cut short");
        }
        got += (size_t)r;
    }
    return 1;
}
/* The next frame's body (caller frees), or NULL when the host closed the socket. */
static uint8_t *read_frame(size_t *len) {
    uint8_t h[4];
    if (!read_all(h, 4)) return NULL;
    uint32_t n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (n == 0 || n > max_frame) die("a frame of %u bytes (limit %u)", n, max_frame);
    uint8_t *body = malloc(n);
    if (!body) die("out of memory");
    if (!read_all(body, n)) die("the host's frame was cut short");
    *len = n;
    return body;
}

/* ---- envelopes (§5) ---- */

typedef struct {
    uint64_t id;
    uint32_t kind;
    char method[65];
    uint32_t deadline_ms;
    const uint8_t *body;
    size_t body_len;
} envelope;

static int decode_envelope(const uint8_t *p, size_t n, envelope *e) {
    cur c = {p, n, 0, 0};
    size_t mlen;
    e->id = get_u64(&c);
    e->kind = get_u32(&c);
    const uint8_t *m = get_bytes(&c, &mlen);
    e->deadline_ms = get_u32(&c);
    e->body = get_bytes(&c, &e->body_len);
    if (c.bad || e->kind > 3 || mlen > 64) return 0;
    memcpy(e->method, m, mlen);
    e->method[mlen] = 0;
    return 1; /* trailing bytes: a newer minor's fields, ignored (§8) */
}

static void send_envelope(uint64_t id, uint32_t kind, const char *method, uint32_t deadline_ms,
                          const buf *body) {
    buf out = {0};
    put_varint(&out, id);
    put_varint(&out, kind);
    put_str(&out, method);
    put_varint(&out, deadline_ms);
    put_bytes(&out, body ? body->p : NULL, body ? body->len : 0);
    write_frame(&out);
    free(out.p);
}

/* Response with Ok(<encoded response>). */
static void answer_ok(uint64_t id, const buf *response) {
    buf body = {0};
    put_u8(&body, 0);
    if (response) put(&body, response->p, response->len);
    send_envelope(id, KIND_RESPONSE, "", 0, &body);
    free(body.p);
}
static void answer_err(uint64_t id, uint16_t code, const char *message) {
    buf body = {0};
    put_u8(&body, 1);
    put_varint(&body, code);
    put_str(&body, message);
    send_envelope(id, KIND_RESPONSE, "", 0, &body);
    free(body.p);
}

static void log_info(const char *message) {
    buf record = {0};
    put_u8(&record, 2);       /* LogLevel Info */
    put_str(&record, message);
    put_varint(&record, 0);   /* no fields */
    send_envelope(0, KIND_NOTIFICATION, "log.write", 0, &record);
    free(record.p);
}

static void answer_health(uint64_t id) {
    buf report = {0};
    put_u8(&report, 1); /* ok */
    put_str(&report, "");
    answer_ok(id, &report);
    free(report.p);
}

/* Calls the host and returns its Ok body (caller frees *frame), or NULL with the error
 * code in *code. Keeps reading while it waits: health checks are answered, other host
 * requests refused `unavailable`, cancels and notifications ignored. */
static const uint8_t *call_host(const char *method, const buf *request, uint8_t **frame,
                                size_t *len, uint16_t *code) {
    uint64_t id = next_id++;
    send_envelope(id, KIND_REQUEST, method, 5000, request);
    for (;;) {
        size_t n;
        uint8_t *p = read_frame(&n);
        if (!p) exit(0);
        envelope e;
        if (!decode_envelope(p, n, &e)) die("an envelope that does not decode");
        if (e.kind == KIND_RESPONSE && e.id == id) {
            cur c = {e.body, e.body_len, 0, 0};
            uint8_t tag = get_u8(&c);
            if (c.bad || tag > 1) die("an undecodable answer to %s", method);
            if (tag == 1) {
                *code = (uint16_t)get_varint_n(&c, 3, 16);
                free(p);
                return NULL;
            }
            *frame = p;
            *len = e.body_len - 1;
            return e.body + 1;
        }
        if (e.kind == KIND_REQUEST) {
            if (strcmp(e.method, "health.check") == 0) {
                answer_health(e.id);
            } else {
                answer_err(e.id, E_UNAVAILABLE, "busy with a call of its own; try again");
            }
        }
        free(p);
    }
}

/* ---- the host's calls (§6) ---- */

static void serve_event(const envelope *e) {
    cur c = {e->body, e->body_len, 0, 0};
    char topic[129];
    skip_str(&c);                   /* id */
    get_str(&c, topic, sizeof topic);
    skip_str(&c);                   /* tenant_id */
    (void)get_u64(&c);              /* sequence */
    (void)get_u64(&c);              /* occurred_at_ms */
    switch (get_u32(&c)) {          /* payload */
    case 0: skip_fax_job_event(&c); break;
    case 1: skip_str(&c); skip_str(&c); skip_str(&c); break;
    case 2: skip_str(&c); skip_fields(&c); break;
    default: c.bad = 1;
    }
    uint32_t attempt = get_u32(&c);
    if (c.bad) {
        answer_err(e->id, E_INVALID, "event.deliver: the EventDelivery does not decode");
        return;
    }
    char line[200];
    snprintf(line, sizeof line, "event %s, attempt %u", topic, attempt);
    log_info(line);
    answer_ok(e->id, NULL); /* Ack {} is zero bytes */
}

static void route_response(uint64_t id, uint16_t status, const char *text, size_t len) {
    buf r = {0};
    put_varint(&r, status);
    put_varint(&r, 1);
    put_str(&r, "content-type");
    put_str(&r, "text/plain; charset=utf-8");
    put_bytes(&r, text, len);
    answer_ok(id, &r);
    free(r.p);
}

static void serve_count(uint64_t id) {
    buf key = {0};
    put_str(&key, "count");
    uint8_t *frame = NULL;
    size_t len;
    uint16_t code = 0;
    const uint8_t *got = call_host("kv.get", &key, &frame, &len, &code);
    free(key.p);
    if (!got) {
        answer_err(id, code == 1 ? 1 : E_INTERNAL, "kv.get failed");
        return;
    }
    unsigned long count = 0;
    cur c = {got, len, 0, 0};
    if (get_bool(&c)) { /* Some(bytes) */
        char digits[24];
        get_str(&c, digits, sizeof digits);
        count = strtoul(digits, NULL, 10);
    }
    free(frame);
    char text[24];
    int n = snprintf(text, sizeof text, "%lu", count + 1);
    buf put_req = {0};
    put_str(&put_req, "count");
    put_bytes(&put_req, text, (size_t)n);
    got = call_host("kv.put", &put_req, &frame, &len, &code);
    free(put_req.p);
    if (!got) {
        answer_err(id, code == 1 ? 1 : E_INTERNAL, "kv.put failed");
        return;
    }
    free(frame);
    route_response(id, 200, text, (size_t)n);
}

static void serve_route(const envelope *e) {
    cur c = {e->body, e->body_len, 0, 0};
    char method[16], path[256], query[1024];
    get_str(&c, method, sizeof method);
    get_str(&c, path, sizeof path);
    get_str(&c, query, sizeof query);
    skip_pairs(&c);
    size_t body_len;
    const uint8_t *body = get_bytes(&c, &body_len);
    if (c.bad) {
        answer_err(e->id, E_INVALID, "route.serve: the RouteRequest does not decode");
        return;
    }
    if (strcmp(path, "/count") == 0) {
        serve_count(e->id);
        return;
    }
    if (strcmp(path, "/echo") != 0) {
        route_response(e->id, 404, "no such route\n", 14);
        return;
    }
    buf text = {0};
    put(&text, greeting, strlen(greeting));
    put(&text, " ", 1);
    put(&text, query, strlen(query));
    put(&text, " ", 1);
    if (body_len) put(&text, body, body_len);
    route_response(e->id, 200, (const char *)text.p, text.len);
    free(text.p);
}

static void serve_job(const envelope *e) {
    cur c = {e->body, e->body_len, 0, 0};
    char name[65];
    get_str(&c, name, sizeof name);
    skip_str(&c);       /* run_id */
    (void)get_u64(&c);  /* scheduled_at_ms */
    if (c.bad) {
        answer_err(e->id, E_INVALID, "job.run: the JobRun does not decode");
        return;
    }
    char summary[80];
    snprintf(summary, sizeof summary, "ran %s", name);
    buf r = {0};
    put_u8(&r, 1); /* Some */
    put_str(&r, summary);
    answer_ok(e->id, &r);
    free(r.p);
}

static void serve(const envelope *e) {
    if (strcmp(e->method, "health.check") == 0) {
        answer_health(e->id);
    } else if (strcmp(e->method, "event.deliver") == 0) {
        serve_event(e);
    } else if (strcmp(e->method, "route.serve") == 0) {
        serve_route(e);
    } else if (strcmp(e->method, "job.run") == 0) {
        serve_job(e);
    } else if (strcmp(e->method, "plugin.shutdown") == 0) {
        cur c = {e->body, e->body_len, 0, 0};
        (void)get_u32(&c); /* deadline_ms: nothing to finish here */
        if (c.bad) {
            answer_err(e->id, E_INVALID, "plugin.shutdown: the ShutdownRequest does not decode");
            return;
        }
        answer_ok(e->id, NULL);
#ifndef CONFORM_SELF_TEST_BROKEN
        exit(0);
#endif
    } else {
        char message[100];
        snprintf(message, sizeof message, "method \"%s\" is not supported", e->method);
#ifndef CONFORM_SELF_TEST_BROKEN
        answer_err(e->id, E_UNSUPPORTED, message);
#else
        /* Built only by the conformance kit's own test, to prove it catches these. */
        answer_err(e->id, E_INVALID, message);
#endif
    }
}

/* ---- the handshake (§4) ---- */

static void handshake(void) {
    const char *id = getenv("FAXBOT_PLUGIN_ID");
    buf hello = {0};
    put(&hello, "FXB1", 4);
    put_varint(&hello, 1); put_varint(&hello, 0); /* min 1.0 */
    put_varint(&hello, 1); put_varint(&hello, 0); /* max 1.0 */
    put_str(&hello, id && *id ? id : "c-echo");
    put_str(&hello, "0.1.0");
    put_str(&hello, "c-by-hand");
    put_str(&hello, "0.1.0");
    put_varint(&hello, DEFAULT_MAX_FRAME);
    write_frame(&hello);
    free(hello.p);

    size_t n;
    uint8_t *p = read_frame(&n);
    if (!p) die("the host closed the socket instead of answering Hello");
    cur c = {p, n, 0, 0};
    uint32_t variant = get_u32(&c);
    if (variant == 1) {
        char why[256];
        uint32_t code = get_u32(&c);
        get_str(&c, why, sizeof why);
        die("rejected (code %u): %s", code, why);
    }
    if (variant != 0) die("an unknown handshake reply %u", variant);
    (void)get_u32(&c); (void)get_u32(&c);           /* abi */
    skip_str(&c);                                    /* instance_id */
    skip_str_vec(&c);                                /* event_subscriptions */
    skip_str_vec(&c);                                /* egress */
    (void)get_u64(&c);                               /* kv_quota_bytes */
    skip_str_vec(&c);                                /* routes */
    uint32_t jobs = get_u32(&c);                     /* jobs */
    for (uint32_t i = 0; i < jobs && !c.bad; i++) { skip_str(&c); skip_str(&c); }
    skip_str_vec(&c);                                /* secrets */
    skip_str_vec(&c);                                /* emit_events */
    (void)get_bool(&c);                              /* fax_job_status */
    uint32_t settings = get_u32(&c);                 /* config */
    for (uint32_t i = 0; i < settings && !c.bad; i++) {
        char key[65];
        get_str(&c, key, sizeof key);
        size_t at = c.at;
        if (strcmp(key, "greeting") == 0 && get_u32(&c) == 4) {
            get_str(&c, greeting, sizeof greeting);
        } else {
            c.at = at;
            skip_value(&c, 1);
        }
    }
    uint32_t limit = get_u32(&c);                    /* limits.max_frame */
    if (c.bad) die("a Welcome that does not decode");
    if (limit > 0 && limit < max_frame) max_frame = limit;
    free(p);
}

int main(void) {
    if (fcntl(FD, F_GETFD) < 0) {
        fprintf(stderr, "c-echo is a faxbot plugin: the host starts it with its socket as fd 3\n");
        return 2;
    }
    handshake();
    for (;;) {
        size_t n;
        uint8_t *p = read_frame(&n);
        if (!p) return 0; /* the host closed the session */
        envelope e;
        if (!decode_envelope(p, n, &e)) die("an envelope that does not decode");
        if (e.kind == KIND_REQUEST) serve(&e);
        /* Notifications, cancels (every call is answered before the next is read) and
         * stray responses need nothing. */
        free(p);
    }
}
