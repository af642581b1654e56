/* sim_render.c: renders one simulated item as TMF638 v4 Service or TMF639 v4 Resource JSON.
 *
 * Everything that is not part of the compact state (struct sim_item: status, lastUpdate, birth)
 * is derived here from hashes of (seed, kind, serial): names, specifications, characteristics,
 * places, parties and references. So an item's body only changes when its state changes, and
 * two processes with the same options render byte-identical text.
 *
 * References point into the initial population (struct sim_world's per-type serial lists):
 * a service uses a modem and the antenna the modem is contained in, a carrier a transponder and
 * the satellite the transponder is contained in, and so on, so the hierarchy is consistent.
 * Removed items may leave references dangling, as in a real inventory.
 *
 * Field shapes are chosen to be valid under the TMF638 v4 file and under BOTH TMF639 v4 files
 * (see docs/simulator.md): resourceRelationship is {relationshipType, resource:{id, href}}, the
 * resource place is one object with id, href and role, resourceSpecification has id and href. */
#include "sim_render_int.h"

#include <stdio.h>
#include <string.h>

uint64_t sim_rng_next(struct sim_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t sim_rng_below(struct sim_rng *rng, uint32_t n)
{
    return n ? (uint32_t)(sim_rng_next(rng) % n) : 0;
}

void sim_rng_init(struct sim_rng *rng, uint64_t seed, enum sim_kind kind, uint32_t serial,
             uint32_t purpose)
{
    rng->state = sim_data_hash(seed, SIM_SALT_RENDER + purpose, kind, serial);
}

/* ---- small helpers ------------------------------------------------------------------------ */

/* Writes "id" and "href". An item's own href is the absolute path on this server (root ""); a
 * reference to another entity carries an absolute URL under SIM_REF_ROOT, because the v4 schemas
 * declare format "uri" for RelatedParty.href, ResourceRef.href, ServiceSpecificationRef.href and
 * (TMF639 v4b) ResourceSpecificationRef.href; a fixed root keeps bodies independent of the port. */
static void sim_render_id_href(struct sim_buf *buf, const char *root, const char *base,
                   const char *id)
{
    char href[SIM_TEXT];

    if (snprintf(href, sizeof(href), "%s%s%s", root, base, id) >= (int)sizeof(href)) {
        buf->failed = 1;
        return;
    }
    sim_json_key_string(buf, "id", id);
    sim_json_key_string(buf, "href", href);
}

/* A reference to another entity: {"id", "href": absolute URL}. */
void sim_render_ref(struct sim_buf *buf, const char *base, const char *id)
{
    sim_render_id_href(buf, SIM_REF_ROOT, base, id);
}

/* The item's own id and href (absolute path). */
void sim_render_self(struct sim_buf *buf, const char *base, const char *id)
{
    sim_render_id_href(buf, "", base, id);
}

/* {"name":..., "valueType":"string", "value":"..."} as an array element. */
void sim_render_char_string(struct sim_buf *buf, const char *name, const char *value)
{
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "valueType", "string");
    sim_json_key_string(buf, "value", value);
    sim_json_close(buf, '}');
}

/* {"name":..., "valueType":"number", "value":<milli/1000>} as an array element. */
void sim_render_char_number(struct sim_buf *buf, const char *name, int64_t milli)
{
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "valueType", "number");
    sim_json_key_milli(buf, "value", milli);
    sim_json_close(buf, '}');
}

void sim_render_time(struct sim_buf *buf, const char *key, int64_t offset)
{
    sim_json_key_time(buf, key, SIM_CLOCK_BASE + offset);
}

void sim_format_id(char *out, size_t size, const char *prefix, uint32_t serial)
{
    if (snprintf(out, size, "%s-%08u", prefix, (unsigned)serial) >= (int)size)
        out[0] = '\0';
}

/* When an item came into existence, seconds from SIM_CLOCK_BASE: before its first lastUpdate. */
int64_t sim_render_birth(uint64_t seed, const struct sim_item *item, struct sim_rng *rng)
{
    uint32_t back = sim_rng_below(rng, 3u * 365u * SIM_DAY);

    if (item->born_epoch == 0)
        return (int64_t)sim_data_initial_update(seed, (enum sim_kind)item->kind, item->serial) -
               SIM_DAY - back;
    return (int64_t)item->born_epoch * SIM_DAY - (back % SIM_DAY);
}

/* endDate: the end of the contract term, never before `birth + term` and for most items after
 * epoch 0's clock (contracts get renewed). */
int64_t sim_render_end(int64_t birth, uint64_t draw, unsigned years)
{
    int64_t end = birth + (int64_t)years * 365 * SIM_DAY;
    int64_t renewed = (int64_t)(30 + (draw >> 8) % 1500) * SIM_DAY;

    return end > renewed ? end : renewed;
}

/* ---- resource hierarchy ------------------------------------------------------------------- */

/* The type a resource of type `t` is contained in, or -1. Antennas are in a gateway only when
 * they are gateway antennas (a quarter of them). */
static int sim_render_parent_type(enum sim_rtype t, uint64_t h)
{
    switch (t) {
    case SIM_RT_MODEM: return SIM_RT_ANTENNA;
    case SIM_RT_ANTENNA: return h % 4 == 0 ? SIM_RT_GATEWAY : -1;
    case SIM_RT_TRANSPONDER: return SIM_RT_SATELLITE;
    case SIM_RT_BEAM: return SIM_RT_SATELLITE;
    case SIM_RT_CARD: return SIM_RT_MODEM;
    case SIM_RT_BANDWIDTH_SEGMENT: return SIM_RT_TRANSPONDER;
    case SIM_RT_LOGICAL_PORT: return SIM_RT_PORT;
    case SIM_RT_MULTICAST: return SIM_RT_GATEWAY;
    case SIM_RT_SLOT: return SIM_RT_GATEWAY;
    case SIM_RT_PORT: return SIM_RT_CARD;
    case SIM_RT_CIRCUIT: return SIM_RT_GATEWAY;
    default: return -1;
    }
}

/* Picks a resource of type `t` from the initial population for `key`; -1 when there is none. */
int64_t sim_render_pick(const struct sim_world *world, int t, uint32_t salt, uint32_t key)
{
    uint32_t n;

    if (t < 0 || t >= SIM_RT_COUNT)
        return -1;
    n = world->by_type_count[t];
    if (n == 0)
        return -1;
    return world->by_type[t][sim_data_hash(world->config.seed, SIM_SALT_PICK + salt, key, t) % n];
}

/* The serial of the resource `serial` is contained in, or -1 (stored in *type when found). */
int64_t sim_render_parent(const struct sim_world *world, uint32_t serial, int *type)
{
    uint64_t h = sim_data_hash(world->config.seed, SIM_SALT_PARENT, SIM_KIND_RESOURCE, serial);
    int t = sim_render_parent_type(sim_data_rtype(world->config.seed, serial), h);
    int64_t parent = sim_render_pick(world, t, 0, serial);

    if (parent < 0 || (uint32_t)parent == serial)
        return -1;
    *type = t;
    return parent;
}

struct sim_site sim_render_site_of(const struct sim_world *world, uint32_t serial, int depth)
{
    uint64_t seed = world->config.seed;
    enum sim_rtype t = sim_data_rtype(seed, serial);
    uint64_t h = sim_data_hash(seed, SIM_SALT_PICK + 100, SIM_KIND_RESOURCE, serial);
    struct sim_site site;
    int parent_type = -1;
    int64_t parent;

    if (t == SIM_RT_SATELLITE) {
        site.kind = SIM_SITE_ORBIT;
        site.index = sim_render_satellite_index(world, serial);
        return site;
    }
    if (t == SIM_RT_GATEWAY) {
        site.kind = SIM_SITE_TELEPORT;
        site.index = (uint32_t)(h % SIM_COUNT(sim_teleports));
        return site;
    }
    parent = depth < 8 ? sim_render_parent(world, serial, &parent_type) : -1;
    if (parent >= 0)
        return sim_render_site_of(world, (uint32_t)parent, depth + 1);
    switch (t) {
    case SIM_RT_MODEM: case SIM_RT_ANTENNA: case SIM_RT_CARD: case SIM_RT_PORT:
    case SIM_RT_LOGICAL_PORT:
        site.kind = SIM_SITE_CUSTOMER;
        site.index = (uint32_t)(h % 50000);
        break;
    case SIM_RT_TRANSPONDER: case SIM_RT_BEAM: case SIM_RT_BANDWIDTH_SEGMENT:
        site.kind = SIM_SITE_ORBIT;
        site.index = (uint32_t)(h % SIM_COUNT(sim_satellites));
        break;
    default:
        site.kind = SIM_SITE_TELEPORT;
        site.index = (uint32_t)(h % SIM_COUNT(sim_teleports));
        break;
    }
    return site;
}

void sim_render_site_name(const struct sim_site *site, char *out, size_t size)
{
    int n;

    switch (site->kind) {
    case SIM_SITE_TELEPORT:
        n = snprintf(out, size, "%s", sim_teleports[site->index % SIM_COUNT(sim_teleports)].name);
        break;
    case SIM_SITE_ORBIT:
        n = snprintf(out, size, "Orbital slot %s",
                 sim_satellites[site->index % SIM_COUNT(sim_satellites)].position);
        break;
    default:
        n = snprintf(out, size, "%s %s %u", sim_cities[site->index % SIM_COUNT(sim_cities)],
                 sim_site_kinds[(site->index / SIM_COUNT(sim_cities)) % SIM_COUNT(sim_site_kinds)],
                 (unsigned)(site->index % 97 + 1));
        break;
    }
    if (n < 0 || (size_t)n >= size)
        out[0] = '\0';
}

static void sim_render_site_id(const struct sim_site *site, char *out, size_t size)
{
    static const char *const prefixes[] = { "site", "site-tp", "site-orb" };

    if (snprintf(out, size, "%s-%06u", prefixes[site->kind], (unsigned)site->index) >= (int)size)
        out[0] = '\0';
}

/* A place object ({id, href, name, role, @referredType}) as an array element or a value. */
void sim_render_place(struct sim_buf *buf, const struct sim_site *site, const char *role)
{
    char id[SIM_TEXT], name[SIM_TEXT];

    sim_render_site_id(site, id, sizeof(id));
    sim_render_site_name(site, name, sizeof(name));
    sim_json_open(buf, '{');
    sim_render_ref(buf, SIM_SITE_BASE, id);
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "role", role);
    sim_json_key_string(buf, "@referredType", "GeographicSite");
    sim_json_close(buf, '}');
}

void sim_render_party(struct sim_buf *buf, uint32_t customer, const char *role)
{
    char id[32];

    if (snprintf(id, sizeof(id), "org-%04u", (unsigned)customer + 1001) >= (int)sizeof(id))
        id[0] = '\0';
    sim_json_open(buf, '{');
    sim_render_ref(buf, SIM_ORG_BASE, id);
    sim_json_key_string(buf, "name", sim_customers[customer % SIM_COUNT(sim_customers)]);
    sim_json_key_string(buf, "role", role);
    sim_json_key_string(buf, "@referredType", "Organization");
    sim_json_close(buf, '}');
}

void sim_render_operator(struct sim_buf *buf)
{
    sim_json_open(buf, '{');
    sim_render_ref(buf, SIM_ORG_BASE, "org-0001");
    sim_json_key_string(buf, "name", "SES Network Operations");
    sim_json_key_string(buf, "role", "Owner");
    sim_json_key_string(buf, "@referredType", "Organization");
    sim_json_close(buf, '}');
}

/* ---- satellites and transponders ---------------------------------------------------------- */

/* Satellites are named after the catalogue in serial order; beyond it names get a suffix. */
uint32_t sim_render_satellite_index(const struct sim_world *world, uint32_t serial)
{
    const uint32_t *list = world->by_type[SIM_RT_SATELLITE];
    uint32_t lo = 0, hi = world->by_type_count[SIM_RT_SATELLITE];

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (list[mid] < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < world->by_type_count[SIM_RT_SATELLITE] && list[lo] == serial)
        return lo;
    return (uint32_t)(sim_data_hash(world->config.seed, SIM_SALT_PICK + 101, 0, serial) % 1000);
}

void sim_render_satellite_name(const struct sim_world *world, uint32_t serial,
                      char *out, size_t size)
{
    uint32_t index = sim_render_satellite_index(world, serial);
    uint32_t n = SIM_COUNT(sim_satellites);
    int len;

    if (index < n)
        len = snprintf(out, size, "%s", sim_satellites[index].name);
    else
        len = snprintf(out, size, "%s-%u", sim_satellites[index % n].name, (unsigned)(index / n + 1));
    if (len < 0 || (size_t)len >= size)
        out[0] = '\0';
}

struct sim_transponder sim_render_transponder(uint64_t seed, uint32_t serial)
{
    struct sim_rng rng;
    struct sim_transponder tp;
    uint32_t u, lo, span, slots;

    sim_rng_init(&rng, seed, SIM_KIND_RESOURCE, serial, 7);
    u = sim_rng_below(&rng, 10);
    tp.band = u < 6 ? SIM_BAND_KU : u < 8 ? SIM_BAND_C : SIM_BAND_KA;
    tp.number = 1 + sim_rng_below(&rng, 48);
    switch (tp.band) {
    case SIM_BAND_KU:
        lo = 14000000; span = 500000; tp.downlink_shift_khz = -2300000;
        tp.bandwidth_khz = sim_rng_below(&rng, 3) == 0 ? 54000 : 36000;
        tp.polarisation = sim_rng_below(&rng, 2) ? "V" : "H";
        break;
    case SIM_BAND_C:
        lo = 5925000; span = 500000; tp.downlink_shift_khz = -2225000;
        tp.bandwidth_khz = 36000;
        tp.polarisation = sim_rng_below(&rng, 2) ? "V" : "H";
        break;
    default:
        lo = 27500000; span = 3500000; tp.downlink_shift_khz = -9800000;
        tp.bandwidth_khz = 250000;
        tp.polarisation = sim_rng_below(&rng, 2) ? "RHCP" : "LHCP";
        break;
    }
    slots = span / tp.bandwidth_khz;
    tp.uplink_start_khz = lo + ((tp.number - 1) % slots) * tp.bandwidth_khz;
    return tp;
}

void sim_render_transponder_name(const struct sim_world *world, uint32_t serial,
                    char *out, size_t size)
{
    struct sim_transponder tp = sim_render_transponder(world->config.seed, serial);
    char sat[SIM_TEXT];
    int parent_type, len;
    int64_t parent = sim_render_parent(world, serial, &parent_type);

    if (parent >= 0)
        sim_render_satellite_name(world, (uint32_t)parent, sat, sizeof(sat));
    else
        snprintf(sat, sizeof(sat), "%s", "Unassigned");
    len = snprintf(out, size, "%s %s-%02u", sat, sim_band_names[tp.band], (unsigned)tp.number);
    if (len < 0 || (size_t)len >= size)
        out[0] = '\0';
}

/* The name of any resource, as shown in references to it. */
void sim_render_resource_name(const struct sim_world *world, uint32_t serial,
                     char *out, size_t size)
{
    static const char *const prefixes[SIM_RT_COUNT] = {
        "MDM", "ANT", "GW", "SAT", "TP", "BEAM", "CARD", "BWS", "LPORT", "MCAST", "SLOT",
        "PORT", "CCT"
    };
    enum sim_rtype t = sim_data_rtype(world->config.seed, serial);
    int len;

    if (t == SIM_RT_SATELLITE) {
        sim_render_satellite_name(world, serial, out, size);
        return;
    }
    if (t == SIM_RT_TRANSPONDER) {
        sim_render_transponder_name(world, serial, out, size);
        return;
    }
    len = snprintf(out, size, "%s-%06u", prefixes[t], (unsigned)serial);
    if (len < 0 || (size_t)len >= size)
        out[0] = '\0';
}

/* A reference to a resource ({id, href, name, @referredType}) as an array element; when the
 * population has no such resource, a reference to a resource outside the simulated inventory. */
void sim_render_resource_ref(struct sim_buf *buf, const struct sim_world *world,
                    int64_t serial, enum sim_rtype fallback_type)
{
    char id[32], name[SIM_TEXT];
    enum sim_rtype t = fallback_type;

    if (serial >= 0) {
        sim_format_id(id, sizeof(id), "res", (uint32_t)serial);
        sim_render_resource_name(world, (uint32_t)serial, name, sizeof(name));
        t = sim_data_rtype(world->config.seed, (uint32_t)serial);
    } else {
        snprintf(id, sizeof(id), "%s", "res-external");
        snprintf(name, sizeof(name), "External %s", sim_rtype_names[t]);
    }
    sim_json_open(buf, '{');
    sim_render_ref(buf, SIM_RES_BASE, id);
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "@referredType", sim_rtype_names[t]);
    sim_json_close(buf, '}');
}

void sim_render_item(const struct sim_world *world, const struct sim_item *item, struct sim_buf *buf)
{
    switch (item->kind) {
    case SIM_KIND_SERVICE:
        sim_render_service(world, item, buf);
        break;
    case SIM_KIND_CARRIER:
        sim_render_carrier(world, item, buf);
        break;
    default:
        sim_render_resource(world, item, buf);
        break;
    }
}
