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
#include "sim_data.h"
#include "sim_json.h"

#include <stdio.h>
#include <string.h>

#define SIM_REF_ROOT "https://sim.tmfinv.invalid"
#define SIM_SVC_BASE "/tmf-api/serviceInventory/v4/service/"
#define SIM_RES_BASE "/tmf-api/resourceInventoryManagement/v4/resource/"
#define SIM_ORG_BASE "/tmf-api/partyManagement/v4/organization/"
#define SIM_SITE_BASE "/tmf-api/geographicSiteManagement/v4/geographicSite/"
#define SIM_SSPEC_BASE "/tmf-api/serviceCatalogManagement/v4/serviceSpecification/"
#define SIM_RSPEC_BASE "/tmf-api/resourceCatalogManagement/v4/resourceSpecification/"

#define SIM_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SIM_TEXT 160            /* room for any generated name or id */

/* A stream of pseudo-random numbers for one item; draws happen in a fixed order. */
struct sim_rng {
    uint64_t state;
};

static uint64_t sim_rng_next(struct sim_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t sim_rng_below(struct sim_rng *rng, uint32_t n)
{
    return n ? (uint32_t)(sim_rng_next(rng) % n) : 0;
}

static void sim_rng_init(struct sim_rng *rng, uint64_t seed, enum sim_kind kind, uint32_t serial,
             uint32_t purpose)
{
    rng->state = sim_data_hash(seed, SIM_SALT_RENDER + purpose, kind, serial);
}

/* ---- catalogues --------------------------------------------------------------------------- */

static const char *const sim_customers[] = {
    "Atlantic Maritime Lines", "Nordic Broadcast Group", "Sahel Telecom", "Andes Mobile",
    "Pacific Island Networks", "Euro Contribution Services", "Gulf Energy Services",
    "Caribbean Cruise Holdings", "Northern Mining Corp", "Alpine Broadcasting", "Meridian Aero",
    "Coral Telecom", "Baltic Offshore", "Sierra Government Services", "Savannah Cellular",
    "Orbit Retail Networks", "Kestrel Media", "Polar Research Institute", "Harbor Logistics",
    "Atlas Humanitarian Relief", "Lusophone TV", "Delta Oil and Gas", "Equator Mobile",
    "Highland Schools Network"
};

static const char *const sim_cities[] = {
    "Oslo", "Lagos", "Nairobi", "Accra", "Kinshasa", "Luanda", "Dakar", "Quito", "La Paz",
    "Manaus", "Anchorage", "Reykjavik", "Port Moresby", "Suva", "Male", "Muscat", "Kabul",
    "Ulaanbaatar", "Yellowknife", "Nuuk", "Tromso", "Aberdeen", "Cape Town", "Mombasa",
    "Djibouti", "Bamako", "Niamey", "Iquitos", "Cayenne", "Papeete"
};

static const char *const sim_site_kinds[] = {
    "Remote Site", "Branch Office", "Cell Site", "Vessel", "Offshore Rig", "Studio", "Camp"
};

struct sim_teleport {
    const char *name;
    const char *country;
    int latitude_milli;
    int longitude_milli;
};

static const struct sim_teleport sim_teleports[] = {
    { "Betzdorf Teleport", "LU", 49690, 6330 },
    { "Manassas Teleport", "US", 38750, -77470 },
    { "Woodbine Teleport", "US", 39240, -77070 },
    { "Hawley Teleport", "US", 41480, -75180 },
    { "Bucharest Teleport", "RO", 44430, 26100 },
    { "Lisbon Gateway", "PT", 38720, -9140 },
    { "Dubai Gateway", "AE", 25200, 55270 },
    { "Perth Gateway", "AU", -31950, 115860 },
    { "Hawaii Gateway", "US", 21310, -157860 },
    { "Lima Gateway", "PE", -12050, -77040 },
    { "Munich Teleport", "DE", 48140, 11580 },
    { "Gibraltar Teleport", "GI", 36140, -5350 }
};

struct sim_satellite {
    const char *name;
    const char *position;   /* orbital position, "MEO" for O3b */
    const char *platform;
    unsigned launch_year;
};

static const struct sim_satellite sim_satellites[] = {
    { "ASTRA 1KR", "19.2E", "Lockheed Martin A2100AX", 2006 },
    { "ASTRA 1L", "19.2E", "Lockheed Martin A2100AX", 2007 },
    { "ASTRA 1M", "19.2E", "Airbus Eurostar E3000", 2008 },
    { "ASTRA 1N", "19.2E", "Airbus Eurostar E3000", 2011 },
    { "ASTRA 2E", "28.2E", "Airbus Eurostar E3000", 2013 },
    { "ASTRA 2F", "28.2E", "Airbus Eurostar E3000", 2012 },
    { "ASTRA 2G", "28.2E", "Airbus Eurostar E3000", 2014 },
    { "ASTRA 3B", "23.5E", "Airbus Eurostar E3000", 2010 },
    { "ASTRA 5B", "31.5E", "Airbus Eurostar E3000", 2014 },
    { "SES-4", "22.0W", "SSL 1300", 2012 },
    { "SES-5", "5.0E", "SSL 1300", 2012 },
    { "SES-6", "40.5W", "Airbus Eurostar E3000", 2013 },
    { "SES-9", "108.2E", "Boeing 702HP", 2016 },
    { "SES-10", "67.0W", "Airbus Eurostar E3000", 2017 },
    { "SES-12", "95.0E", "Airbus Eurostar E3000", 2018 },
    { "SES-14", "47.5W", "Airbus Eurostar E3000", 2018 },
    { "SES-15", "129.0W", "Boeing 702SP", 2017 },
    { "SES-17", "95.0W", "Thales Spacebus Neo", 2021 },
    { "NSS-12", "57.0E", "SSL 1300", 2009 },
    { "O3b mPOWER F1", "MEO", "Boeing 702X", 2022 },
    { "O3b mPOWER F2", "MEO", "Boeing 702X", 2022 },
    { "O3b mPOWER F3", "MEO", "Boeing 702X", 2023 },
    { "O3b mPOWER F4", "MEO", "Boeing 702X", 2023 },
    { "O3b mPOWER F5", "MEO", "Boeing 702X", 2024 },
    { "O3b mPOWER F6", "MEO", "Boeing 702X", 2024 }
};

/* Resource specifications per type: "vendor model" names. */
static const char *const sim_spec_modem[] = {
    "Newtec MDM3310", "Newtec MDM2210", "iDirect iQ 200", "iDirect X7", "Comtech CDM-760",
    "Comtech CDM-625A", "Gilat SkyEdge II-c Capricorn", "Hughes HT2000"
};
static const char *const sim_spec_antenna[] = {
    "Intellian v240MT", "Cobham SAILOR 900 VSAT", "Kymeta u8", "Gilat 1.2m Ka Terminal",
    "CPI 2.4m Ku Antenna", "General Dynamics 9.0m Earth Station"
};
static const char *const sim_spec_gateway[] = { "Teleport Gateway Ku/C", "O3b mPOWER Gateway" };
static const char *const sim_spec_transponder[] = { "Ku 36 MHz Transponder", "Ku 54 MHz Transponder",
    "C 36 MHz Transponder", "Ka 250 MHz Transponder" };
static const char *const sim_spec_beam[] = { "Ku Spot Beam", "Ka User Beam", "Ka Gateway Beam",
    "C Global Beam" };
static const char *const sim_spec_card[] = { "Newtec MCD6000 Demodulator Card",
    "Newtec M6100 Modulator Card", "Newtec MCM7500 Modulator Card" };
static const char *const sim_spec_bws[] = { "Leased Bandwidth Segment" };
static const char *const sim_spec_lport[] = { "VLAN Sub-interface" };
static const char *const sim_spec_multicast[] = { "IP Multicast Group" };
static const char *const sim_spec_slot[] = { "Chassis Slot" };
static const char *const sim_spec_port[] = { "GbE Port", "10GbE Port" };
static const char *const sim_spec_circuit[] = { "Terrestrial Backhaul Circuit" };

static const char *const sim_service_types[] = {
    "Managed Broadband", "Broadcast Contribution", "Broadcast Distribution", "Maritime Connectivity",
    "Aero Connectivity", "Cellular Backhaul", "Government Secure Comms", "Enterprise VSAT",
    "MEO Trunking", "Occasional Use"
};

static const char *const sim_carrier_types[] = {
    "SCPC", "MCPC", "DVB-S2 Outbound", "MF-TDMA Return", "DVB-S2X Broadcast", "Occasional Use"
};

static const char *const sim_modcods[] = {
    "QPSK 1/2", "QPSK 3/5", "QPSK 2/3", "QPSK 3/4", "QPSK 5/6", "QPSK 8/9", "8PSK 3/5",
    "8PSK 2/3", "8PSK 3/4", "8PSK 5/6", "16APSK 2/3", "16APSK 3/4", "16APSK 5/6", "32APSK 3/4"
};

/* Symbol rates in kilosymbols/s (printed as Msym/s). */
static const uint32_t sim_symbol_rates[] = {
    1000, 2500, 3333, 5000, 7200, 10000, 13333, 15000, 20000, 27500, 30000, 36000, 45000
};

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
static void sim_render_ref(struct sim_buf *buf, const char *base, const char *id)
{
    sim_render_id_href(buf, SIM_REF_ROOT, base, id);
}

/* The item's own id and href (absolute path). */
static void sim_render_self(struct sim_buf *buf, const char *base, const char *id)
{
    sim_render_id_href(buf, "", base, id);
}

/* {"name":..., "valueType":"string", "value":"..."} as an array element. */
static void sim_render_char_string(struct sim_buf *buf, const char *name, const char *value)
{
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "valueType", "string");
    sim_json_key_string(buf, "value", value);
    sim_json_close(buf, '}');
}

/* {"name":..., "valueType":"number", "value":<milli/1000>} as an array element. */
static void sim_render_char_number(struct sim_buf *buf, const char *name, int64_t milli)
{
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "valueType", "number");
    sim_json_key_milli(buf, "value", milli);
    sim_json_close(buf, '}');
}

static void sim_render_time(struct sim_buf *buf, const char *key, int64_t offset)
{
    sim_json_key_time(buf, key, SIM_CLOCK_BASE + offset);
}

static void sim_format_id(char *out, size_t size, const char *prefix, uint32_t serial)
{
    if (snprintf(out, size, "%s-%08u", prefix, (unsigned)serial) >= (int)size)
        out[0] = '\0';
}

/* When an item came into existence, seconds from SIM_CLOCK_BASE: before its first lastUpdate. */
static int64_t sim_render_birth(uint64_t seed, const struct sim_item *item, struct sim_rng *rng)
{
    uint32_t back = sim_rng_below(rng, 3u * 365u * SIM_DAY);

    if (item->born_epoch == 0)
        return (int64_t)sim_data_initial_update(seed, (enum sim_kind)item->kind, item->serial) -
               SIM_DAY - back;
    return (int64_t)item->born_epoch * SIM_DAY - (back % SIM_DAY);
}

/* endDate: the end of the contract term, never before `birth + term` and for most items after
 * epoch 0's clock (contracts get renewed). */
static int64_t sim_render_end(int64_t birth, uint64_t draw, unsigned years)
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
static int64_t sim_render_pick(const struct sim_world *world, int t, uint32_t salt, uint32_t key)
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
static int64_t sim_render_parent(const struct sim_world *world, uint32_t serial, int *type)
{
    uint64_t h = sim_data_hash(world->config.seed, SIM_SALT_PARENT, SIM_KIND_RESOURCE, serial);
    int t = sim_render_parent_type(sim_data_rtype(world->config.seed, serial), h);
    int64_t parent = sim_render_pick(world, t, 0, serial);

    if (parent < 0 || (uint32_t)parent == serial)
        return -1;
    *type = t;
    return parent;
}

/* Where a resource sits. */
enum sim_site_kind { SIM_SITE_CUSTOMER, SIM_SITE_TELEPORT, SIM_SITE_ORBIT };

struct sim_site {
    enum sim_site_kind kind;
    uint32_t index;         /* customer site number, teleport or satellite catalogue index */
};

static uint32_t sim_render_satellite_index(const struct sim_world *world, uint32_t serial);

static struct sim_site sim_render_site_of(const struct sim_world *world, uint32_t serial, int depth)
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

static void sim_render_site_name(const struct sim_site *site, char *out, size_t size)
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
static void sim_render_place(struct sim_buf *buf, const struct sim_site *site, const char *role)
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

static void sim_render_party(struct sim_buf *buf, uint32_t customer, const char *role)
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

static void sim_render_operator(struct sim_buf *buf)
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
static uint32_t sim_render_satellite_index(const struct sim_world *world, uint32_t serial)
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

static void sim_render_satellite_name(const struct sim_world *world, uint32_t serial,
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

enum sim_band { SIM_BAND_KU, SIM_BAND_C, SIM_BAND_KA };

static const char *const sim_band_names[] = { "Ku", "C", "Ka" };

/* Transponder geometry, all frequencies in kHz. */
struct sim_transponder {
    enum sim_band band;
    uint32_t number;                /* 1..48 */
    uint32_t bandwidth_khz;
    uint32_t uplink_start_khz;
    int32_t downlink_shift_khz;     /* downlink = uplink + shift */
    const char *polarisation;
};

static struct sim_transponder sim_render_transponder(uint64_t seed, uint32_t serial)
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

static void sim_render_transponder_name(const struct sim_world *world, uint32_t serial,
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
static void sim_render_resource_name(const struct sim_world *world, uint32_t serial,
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
static void sim_render_resource_ref(struct sim_buf *buf, const struct sim_world *world,
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

/* ---- services and carriers ---------------------------------------------------------------- */

/* externalId of a service or carrier: ~3% repeat the externalId of an earlier item of the same
 * kind, ~0.5% are "" and ~0.5% have none. Returns 0 (no externalId) or 1 (written to out). */
static int sim_render_external_id(uint64_t seed, enum sim_kind kind, uint32_t serial,
                  char *out, size_t size)
{
    uint32_t u = (uint32_t)(sim_data_hash(seed, SIM_SALT_DUPLICATE, kind, serial) % 1000);
    uint32_t target = serial, attempt;
    int len;

    if (serial > 0 && u < 30) {
        target = 0;
        for (attempt = 0; attempt < 8; attempt++) {
            uint32_t t = (uint32_t)(sim_data_hash(seed, SIM_SALT_PICK + 200 + attempt, kind,
                                  serial) % serial);
            uint32_t tu = (uint32_t)(sim_data_hash(seed, SIM_SALT_DUPLICATE, kind, t) % 1000);

            if (t == 0 || tu >= 40) {
                target = t;
                break;
            }
        }
    } else if (serial > 0 && u < 35) {
        out[0] = '\0';
        return 1;
    } else if (serial > 0 && u < 40) {
        return 0;
    }
    len = snprintf(out, size, "%s-%u", kind == SIM_KIND_CARRIER ? "CAR" : "CFS",
               (unsigned)((kind == SIM_KIND_CARRIER ? 200000u : 100000u) + target * 3u +
                  (unsigned)(sim_data_hash(seed, SIM_SALT_PICK + 300, kind, target) % 3)));
    if (len < 0 || (size_t)len >= size)
        out[0] = '\0';
    return 1;
}

/* TMF ServiceStateType for an SES status; `draw` varies it per item. */
static const char *sim_render_service_state(uint8_t status, uint64_t draw)
{
    static const char *const planned[] = { "feasibilityChecked", "designed", "reserved" };

    switch (status) {
    case SIM_ST_PLANNED: return planned[draw % 3];
    case SIM_ST_DOWN: return draw % 10 < 3 ? "inactive" : "active";
    case SIM_ST_DEPRECATED: return draw % 10 < 3 ? "inactive" : "terminated";
    default: return "active";
    }
}

static void sim_render_service_ref(struct sim_buf *buf, const char *id, const char *name)
{
    sim_render_ref(buf, SIM_SVC_BASE, id);
    if (name)
        sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "@referredType", "Service");
}

static void sim_render_spec(struct sim_buf *buf, const char *base, const char *id, const char *name,
                const char *version, const char *referred)
{
    sim_json_open(buf, '{');
    sim_render_ref(buf, base, id);
    sim_json_key_string(buf, "name", name);
    sim_json_key_string(buf, "version", version);
    sim_json_key_string(buf, "@referredType", referred);
    sim_json_close(buf, '}');
}

/* The common head of services and carriers: id, href, @type, externalId. */
static void sim_render_service_head(struct sim_buf *buf, uint64_t seed, const struct sim_item *item,
                    const char *id, const char *type)
{
    char ext[48];

    sim_render_self(buf, SIM_SVC_BASE, id);
    sim_json_key_string(buf, "@type", type);
    if (sim_render_external_id(seed, (enum sim_kind)item->kind, item->serial, ext, sizeof(ext)))
        sim_json_key_string(buf, "externalId", ext);
}

static void sim_render_service(const struct sim_world *world, const struct sim_item *item,
                   struct sim_buf *buf)
{
    uint64_t seed = world->config.seed;
    struct sim_rng rng;
    char id[32], name[SIM_TEXT * 2], text[SIM_TEXT * 3], carrier_id[32], bws_id[32], spec_id[32];
    uint32_t type, customer, cir, mir_factor, sla, carrier;
    int64_t modem, antenna, birth;
    int parent_type;
    uint64_t state_draw;
    struct sim_site site;

    static const char *const slas[] = { "Platinum", "Gold", "Silver", "Bronze" };
    static const int64_t availability[] = { 99950, 99900, 99700, 99500 };
    static const uint32_t cirs[] = { 2, 5, 10, 20, 50, 100, 200 };

    sim_rng_init(&rng, seed, SIM_KIND_SERVICE, item->serial, 0);
    type = sim_rng_below(&rng, SIM_COUNT(sim_service_types));
    customer = sim_rng_below(&rng, SIM_COUNT(sim_customers));
    cir = cirs[sim_rng_below(&rng, SIM_COUNT(cirs))];
    mir_factor = 2 + sim_rng_below(&rng, 3);
    sla = sim_rng_below(&rng, SIM_COUNT(slas));
    state_draw = sim_rng_next(&rng);
    birth = sim_render_birth(seed, item, &rng);
    modem = sim_render_pick(world, SIM_RT_MODEM, 1, item->serial);
    if (modem < 0 && world->config.resources > 0)
        modem = (int64_t)(sim_rng_next(&rng) % world->config.resources);
    antenna = modem >= 0 ? sim_render_parent(world, (uint32_t)modem, &parent_type) : -1;
    if (antenna < 0)
        antenna = sim_render_pick(world, SIM_RT_ANTENNA, 2, item->serial);
    if (modem >= 0) {
        site = sim_render_site_of(world, (uint32_t)modem, 0);
    } else {
        site.kind = SIM_SITE_CUSTOMER;
        site.index = sim_rng_below(&rng, 50000);
    }
    if (world->config.carriers > 0)
        carrier = (uint32_t)(sim_data_hash(seed, SIM_SALT_PICK + 400, 0, item->serial) %
                     world->config.carriers);
    else
        carrier = 0;

    sim_format_id(id, sizeof(id), "svc", item->serial);
    sim_render_site_name(&site, text, sizeof(text));
    if (snprintf(name, sizeof(name), "%s %s %s", sim_customers[customer], sim_service_types[type],
             text) >= (int)sizeof(name))
        name[0] = '\0';

    sim_json_open(buf, '{');
    sim_render_service_head(buf, seed, item, id, "Service");
    sim_json_key_string(buf, "name", name);
    if (snprintf(text, sizeof(text), "%s service for %s, CIR %u Mbit/s, %s SLA",
             sim_service_types[type], sim_customers[customer], (unsigned)cir,
             slas[sla]) >= (int)sizeof(text))
        text[0] = '\0';
    sim_json_key_string(buf, "description", text);
    sim_json_key_string(buf, "category", "CFS");
    sim_json_key_string(buf, "serviceType", sim_service_types[type]);
    sim_json_key_string(buf, "status", sim_status_names[item->status]);
    sim_json_key_string(buf, "state", sim_render_service_state(item->status, state_draw));
    sim_render_time(buf, "startDate", birth);
    sim_render_time(buf, "endDate", sim_render_end(birth, state_draw, 2 + (unsigned)(state_draw % 5)));
    sim_render_time(buf, "lastUpdate", item->last_update);

    sim_json_key(buf, "serviceSpecification");
    if (snprintf(spec_id, sizeof(spec_id), "ssp-cfs-%02u", (unsigned)type + 1) >= (int)sizeof(spec_id))
        spec_id[0] = '\0';
    if (snprintf(text, sizeof(text), "%s CFS", sim_service_types[type]) >= (int)sizeof(text))
        text[0] = '\0';
    sim_render_spec(buf, SIM_SSPEC_BASE, spec_id, text, "2.1", "ServiceSpecification");

    sim_json_key(buf, "serviceCharacteristic");
    sim_json_open(buf, '[');
    sim_render_char_number(buf, "CIR", (int64_t)cir * 1000);
    sim_render_char_number(buf, "MIR", (int64_t)cir * mir_factor * 1000);
    sim_render_char_string(buf, "SLA", slas[sla]);
    sim_render_char_number(buf, "availabilityTarget", availability[sla]);
    sim_json_close(buf, ']');

    sim_json_key(buf, "supportingResource");
    sim_json_open(buf, '[');
    sim_render_resource_ref(buf, world, modem, SIM_RT_MODEM);
    sim_render_resource_ref(buf, world, antenna, SIM_RT_ANTENNA);
    sim_json_close(buf, ']');

    if (world->config.carriers > 0)
        sim_format_id(carrier_id, sizeof(carrier_id), "car", carrier);
    else
        sim_format_id(carrier_id, sizeof(carrier_id), "svc",
                  (uint32_t)(sim_data_hash(seed, SIM_SALT_PICK + 401, 0, item->serial) %
                     (world->config.services ? world->config.services : 1)));
    sim_format_id(bws_id, sizeof(bws_id), "bws", carrier);

    sim_json_key(buf, "supportingService");
    sim_json_open(buf, '[');
    sim_json_open(buf, '{');
    if (snprintf(text, sizeof(text), "Bandwidth segment %s", bws_id) >= (int)sizeof(text))
        text[0] = '\0';
    sim_render_service_ref(buf, bws_id, text);
    sim_json_close(buf, '}');
    sim_json_close(buf, ']');

    sim_json_key(buf, "serviceRelationship");
    sim_json_open(buf, '[');
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "relationshipType", "reliesOn");
    sim_json_key(buf, "service");
    sim_json_open(buf, '{');
    sim_render_service_ref(buf, carrier_id, NULL);
    sim_json_close(buf, '}');
    sim_json_close(buf, '}');
    sim_json_close(buf, ']');

    sim_json_key(buf, "relatedParty");
    sim_json_open(buf, '[');
    sim_render_party(buf, customer, "Customer");
    sim_json_close(buf, ']');

    sim_json_key(buf, "place");
    sim_json_open(buf, '[');
    sim_render_place(buf, &site, "Site");
    sim_json_close(buf, ']');
    sim_json_close(buf, '}');
}

static void sim_render_carrier(const struct sim_world *world, const struct sim_item *item,
                   struct sim_buf *buf)
{
    uint64_t seed = world->config.seed;
    struct sim_rng rng;
    struct sim_transponder tp;
    struct sim_site gateway, terminal;
    char id[32], name[SIM_TEXT * 2], text[SIM_TEXT * 3], sat_name[SIM_TEXT], tp_name[SIM_TEXT];
    char alias[64], peer_id[32], bws_id[32];
    uint32_t customer, ctype, modcod, sr_index, sr, occupied, uplink, slack;
    int64_t transponder, satellite, birth;
    uint64_t state_draw;
    int parent_type, len;
    const char *pol;
    const char *sat_short;

    sim_rng_init(&rng, seed, SIM_KIND_CARRIER, item->serial, 0);
    customer = sim_rng_below(&rng, SIM_COUNT(sim_customers));
    ctype = sim_rng_below(&rng, SIM_COUNT(sim_carrier_types));
    modcod = sim_rng_below(&rng, SIM_COUNT(sim_modcods));
    sr_index = sim_rng_below(&rng, SIM_COUNT(sim_symbol_rates));
    state_draw = sim_rng_next(&rng);
    birth = sim_render_birth(seed, item, &rng);
    gateway.kind = SIM_SITE_TELEPORT;
    gateway.index = sim_rng_below(&rng, SIM_COUNT(sim_teleports));
    terminal.kind = SIM_SITE_CUSTOMER;
    terminal.index = sim_rng_below(&rng, 50000);

    transponder = sim_render_pick(world, SIM_RT_TRANSPONDER, 3, item->serial);
    satellite = transponder >= 0 ? sim_render_parent(world, (uint32_t)transponder, &parent_type) : -1;
    if (satellite < 0)
        satellite = sim_render_pick(world, SIM_RT_SATELLITE, 4, item->serial);
    tp = sim_render_transponder(seed, transponder >= 0 ? (uint32_t)transponder : item->serial);
    if (satellite >= 0)
        sim_render_satellite_name(world, (uint32_t)satellite, sat_name, sizeof(sat_name));
    else
        snprintf(sat_name, sizeof(sat_name), "%s", "SES-17");
    if (transponder >= 0)
        sim_render_transponder_name(world, (uint32_t)transponder, tp_name, sizeof(tp_name));
    else if (snprintf(tp_name, sizeof(tp_name), "%.64s %s-%02u", sat_name, sim_band_names[tp.band],
              (unsigned)tp.number) < 0)
        tp_name[0] = '\0';

    /* symbol rate fits the transponder with a 0.20 roll-off (occupied = 1.2 x symbol rate) */
    while (sr_index > 0 && (uint64_t)sim_symbol_rates[sr_index] * 6 / 5 > tp.bandwidth_khz)
        sr_index--;
    sr = sim_symbol_rates[sr_index];
    occupied = sr * 6 / 5;
    slack = (tp.bandwidth_khz - occupied) / 250;
    uplink = tp.uplink_start_khz + (occupied / 2 + 249) / 250 * 250 +
         250 * sim_rng_below(&rng, slack ? slack : 1);
    pol = tp.polarisation;
    sat_short = sat_name;

    sim_format_id(id, sizeof(id), "car", item->serial);
    len = snprintf(name, sizeof(name), "%s UL %u.%03u %s %s", tp_name, (unsigned)(uplink / 1000),
               (unsigned)(uplink % 1000), pol, sim_carrier_types[ctype]);
    if (len < 0 || (size_t)len >= sizeof(name))
        name[0] = '\0';

    sim_json_open(buf, '{');
    sim_render_service_head(buf, seed, item, id, "element");
    sim_json_key_string(buf, "name", name);
    if (snprintf(text, sizeof(text), "%s carrier for %s on %s, %s, %u ksym/s",
             sim_carrier_types[ctype], sim_customers[customer], tp_name, sim_modcods[modcod],
             (unsigned)sr) >= (int)sizeof(text))
        text[0] = '\0';
    sim_json_key_string(buf, "description", text);
    sim_json_key_string(buf, "category", "carrier");
    sim_json_key_string(buf, "serviceType", "Satellite Carrier");
    sim_json_key_string(buf, "status", sim_status_names[item->status]);
    sim_json_key_string(buf, "state", sim_render_service_state(item->status, state_draw));
    sim_render_time(buf, "startDate", birth);
    sim_render_time(buf, "endDate", sim_render_end(birth, state_draw, 1 + (unsigned)(state_draw % 4)));
    sim_render_time(buf, "lastUpdate", item->last_update);

    sim_json_key(buf, "serviceSpecification");
    if (snprintf(text, sizeof(text), "%s Carrier", sim_carrier_types[ctype]) >= (int)sizeof(text))
        text[0] = '\0';
    if (snprintf(alias, sizeof(alias), "ssp-carrier-%02u", (unsigned)ctype + 1) >= (int)sizeof(alias))
        alias[0] = '\0';
    sim_render_spec(buf, SIM_SSPEC_BASE, alias, text, "1.4", "ServiceSpecification");

    sim_json_key(buf, "serviceCharacteristic");
    sim_json_open(buf, '[');
    sim_render_char_string(buf, "elementType", "Carrier");
    sim_render_char_string(buf, "type", sim_carrier_types[ctype]);
    if (snprintf(alias, sizeof(alias), "UL-%s-%s%02u-%04u", sat_short, sim_band_names[tp.band],
             (unsigned)tp.number, (unsigned)(item->serial % 10000)) >= (int)sizeof(alias))
        alias[0] = '\0';
    sim_render_char_string(buf, "uplinkAlias", alias);
    alias[0] = 'D';
    sim_render_char_string(buf, "downlinkAlias", alias);
    sim_render_char_number(buf, "uplinkFrequency", uplink);
    sim_render_char_number(buf, "downlinkFrequency", (int64_t)uplink + tp.downlink_shift_khz);
    sim_render_char_number(buf, "symbolRate", sr);
    sim_render_char_number(buf, "occupiedBandwidth", occupied);
    sim_render_char_string(buf, "modcod", sim_modcods[modcod]);
    sim_render_char_string(buf, "polarisation", pol);
    sim_render_char_string(buf, "band", sim_band_names[tp.band]);
    sim_json_close(buf, ']');

    sim_json_key(buf, "supportingResource");
    sim_json_open(buf, '[');
    sim_render_resource_ref(buf, world, satellite, SIM_RT_SATELLITE);
    sim_render_resource_ref(buf, world, transponder, SIM_RT_TRANSPONDER);
    sim_json_close(buf, ']');

    sim_format_id(bws_id, sizeof(bws_id), "bws", item->serial);
    sim_json_key(buf, "supportingService");
    sim_json_open(buf, '[');
    sim_json_open(buf, '{');
    if (snprintf(text, sizeof(text), "Bandwidth segment %s", bws_id) >= (int)sizeof(text))
        text[0] = '\0';
    sim_render_service_ref(buf, bws_id, text);
    sim_json_close(buf, '}');
    sim_json_close(buf, ']');

    /* carriers come in pairs: the even serial is the parent of the next odd one */
    sim_format_id(peer_id, sizeof(peer_id), "car", item->serial ^ 1u);
    sim_json_key(buf, "serviceRelationship");
    sim_json_open(buf, '[');
    sim_json_open(buf, '{');
    sim_json_key_string(buf, "relationshipType", item->serial % 2 ? "parent" : "child");
    sim_json_key(buf, "service");
    sim_json_open(buf, '{');
    sim_render_service_ref(buf, peer_id, NULL);
    sim_json_close(buf, '}');
    sim_json_close(buf, '}');
    sim_json_close(buf, ']');

    sim_json_key(buf, "relatedParty");
    sim_json_open(buf, '[');
    sim_render_party(buf, customer, "Customer");
    sim_json_close(buf, ']');

    sim_json_key(buf, "place");
    sim_json_open(buf, '[');
    sim_render_place(buf, &gateway, "Gateway");
    sim_render_place(buf, &terminal, "Terminal");
    sim_json_close(buf, ']');
    sim_json_close(buf, '}');
}

/* ---- resources ---------------------------------------------------------------------------- */

struct sim_res_states {
    const char *operational;
    const char *resource_status;
    const char *administrative;
};

static struct sim_res_states sim_render_res_states(uint8_t status)
{
    static const struct sim_res_states table[SIM_ST_COUNT] = {
        { "enable", "available", "unlocked" },          /* Operational */
        { "enable", "alarm", "unlocked" },              /* Degraded */
        { "disable", "alarm", "unlocked" },             /* Down */
        { "disable", "reserved", "locked" },            /* Planned */
        { "disable", "suspended", "locked" },           /* Maintenance */
        { "disable", "standby", "shutdown" }            /* Deprecated */
    };

    return table[status % SIM_ST_COUNT];
}

static const char *const *sim_render_spec_list(enum sim_rtype t, uint32_t *count)
{
    switch (t) {
    case SIM_RT_MODEM: *count = SIM_COUNT(sim_spec_modem); return sim_spec_modem;
    case SIM_RT_ANTENNA: *count = SIM_COUNT(sim_spec_antenna); return sim_spec_antenna;
    case SIM_RT_GATEWAY: *count = SIM_COUNT(sim_spec_gateway); return sim_spec_gateway;
    case SIM_RT_TRANSPONDER: *count = SIM_COUNT(sim_spec_transponder); return sim_spec_transponder;
    case SIM_RT_BEAM: *count = SIM_COUNT(sim_spec_beam); return sim_spec_beam;
    case SIM_RT_CARD: *count = SIM_COUNT(sim_spec_card); return sim_spec_card;
    case SIM_RT_BANDWIDTH_SEGMENT: *count = SIM_COUNT(sim_spec_bws); return sim_spec_bws;
    case SIM_RT_LOGICAL_PORT: *count = SIM_COUNT(sim_spec_lport); return sim_spec_lport;
    case SIM_RT_MULTICAST: *count = SIM_COUNT(sim_spec_multicast); return sim_spec_multicast;
    case SIM_RT_SLOT: *count = SIM_COUNT(sim_spec_slot); return sim_spec_slot;
    case SIM_RT_PORT: *count = SIM_COUNT(sim_spec_port); return sim_spec_port;
    default: *count = SIM_COUNT(sim_spec_circuit); return sim_spec_circuit;
    }
}

/* Type-specific characteristics. */
static void sim_render_res_characteristics(const struct sim_world *world, const struct sim_item *item,
                       struct sim_rng *rng, uint32_t spec, struct sim_buf *buf)
{
    static const char *const mounts[] = { "Stabilised maritime", "Fixed", "Flat panel", "Motorised" };
    static const char *const link_types[] = { "Feeder", "User", "Uplink", "Downlink" };
    static const char *const tx_types[] = { "RX", "TX", "CarrierInCarrier" };
    static const int64_t diameters[] = { 600, 800, 1000, 1200, 1800, 2400, 3800, 7300, 9000 };
    char text[SIM_TEXT];
    uint32_t a = sim_rng_below(rng, 250), b = sim_rng_below(rng, 250), c = sim_rng_below(rng, 250);
    uint32_t small = sim_rng_below(rng, 16), big = sim_rng_below(rng, 1000000);
    struct sim_transponder tp;

    switch ((enum sim_rtype)item->type) {
    case SIM_RT_MODEM:
        if (snprintf(text, sizeof(text), "%.2s%06X%02u", sim_spec_modem[spec] + 0,
                 (unsigned)(big ^ item->serial), (unsigned)small) >= (int)sizeof(text))
            text[0] = '\0';
        sim_render_char_string(buf, "serialNumber", text);
        sim_render_char_number(buf, "rxFrequency", 950000 + (int64_t)(big % 4800) * 250);
        sim_render_char_number(buf, "txFrequency", 950000 + (int64_t)(big % 2000) * 250);
        if (snprintf(text, sizeof(text), "%u.%u.%u", 3 + small % 3, a % 10, b % 20) >= (int)sizeof(text))
            text[0] = '\0';
        sim_render_char_string(buf, "firmwareVersion", text);
        if (snprintf(text, sizeof(text), "10.%u.%u.%u", a, b, c + 1 > 254 ? 254 : c + 1) >= (int)sizeof(text))
            text[0] = '\0';
        sim_render_char_string(buf, "managementIp", text);
        break;
    case SIM_RT_ANTENNA:
        sim_render_char_number(buf, "diameter", diameters[a % SIM_COUNT(diameters)]);
        sim_render_char_string(buf, "band", sim_band_names[b % 3]);
        sim_render_char_string(buf, "mount", mounts[c % SIM_COUNT(mounts)]);
        sim_render_char_string(buf, "polarisation", b % 3 == SIM_BAND_KA ? "Circular" : "Linear");
        break;
    case SIM_RT_GATEWAY: {
        struct sim_site site = sim_render_site_of(world, item->serial, 0);
        const struct sim_teleport *tele = &sim_teleports[site.index % SIM_COUNT(sim_teleports)];

        sim_render_char_string(buf, "teleport", tele->name);
        sim_render_char_string(buf, "country", tele->country);
        sim_render_char_number(buf, "latitude", tele->latitude_milli);
        sim_render_char_number(buf, "longitude", tele->longitude_milli);
        sim_render_char_number(buf, "antennaCount", (int64_t)(2 + small % 10) * 1000);
        break;
    }
    case SIM_RT_SATELLITE: {
        uint32_t index = sim_render_satellite_index(world, item->serial);
        const struct sim_satellite *sat = &sim_satellites[index % SIM_COUNT(sim_satellites)];
        int meo = strcmp(sat->position, "MEO") == 0;

        sim_render_char_string(buf, "orbitalPosition", sat->position);
        sim_render_char_string(buf, "orbit", meo ? "MEO" : "GEO");
        sim_render_char_string(buf, "operator", "SES");
        sim_render_char_string(buf, "platform", sat->platform);
        sim_render_char_number(buf, "launchYear", (int64_t)sat->launch_year * 1000);
        break;
    }
    case SIM_RT_TRANSPONDER:
        tp = sim_render_transponder(world->config.seed, item->serial);
        sim_render_char_string(buf, "band", sim_band_names[tp.band]);
        sim_render_char_number(buf, "bandwidth", tp.bandwidth_khz);
        sim_render_char_number(buf, "transponderNumber", (int64_t)tp.number * 1000);
        sim_render_char_number(buf, "uplinkStartFrequency", tp.uplink_start_khz);
        sim_render_char_number(buf, "downlinkStartFrequency",
                       (int64_t)tp.uplink_start_khz + tp.downlink_shift_khz);
        sim_render_char_string(buf, "polarisation", tp.polarisation);
        break;
    case SIM_RT_BEAM:
        sim_render_char_string(buf, "linkType", link_types[a % SIM_COUNT(link_types)]);
        sim_render_char_string(buf, "transmissionType", tx_types[b % SIM_COUNT(tx_types)]);
        sim_render_char_string(buf, "band", spec == 3 ? "C" : spec == 0 ? "Ku" : "Ka");
        break;
    case SIM_RT_CARD:
        sim_render_char_number(buf, "slotNumber", (int64_t)(1 + small) * 1000);
        sim_render_char_string(buf, "cardType", spec == 0 ? "Demodulator" : "Modulator");
        break;
    case SIM_RT_BANDWIDTH_SEGMENT:
        sim_render_char_number(buf, "bandwidth", (int64_t)(1 + a % 36) * 500);
        sim_render_char_number(buf, "centreFrequency", 14000000 + (int64_t)(big % 2000) * 250);
        break;
    case SIM_RT_LOGICAL_PORT:
        sim_render_char_number(buf, "vlanId", (int64_t)(2 + big % 4000) * 1000);
        break;
    case SIM_RT_MULTICAST:
        if (snprintf(text, sizeof(text), "239.%u.%u.%u", a, b, c + 1 > 254 ? 254 : c + 1) >= (int)sizeof(text))
            text[0] = '\0';
        sim_render_char_string(buf, "groupAddress", text);
        break;
    case SIM_RT_SLOT:
        sim_render_char_number(buf, "slotNumber", (int64_t)(1 + small) * 1000);
        break;
    case SIM_RT_PORT:
        sim_render_char_number(buf, "portNumber", (int64_t)(1 + small) * 1000);
        sim_render_char_string(buf, "speed", spec == 0 ? "1G" : "10G");
        break;
    default:
        if (snprintf(text, sizeof(text), "CCT-%06u", (unsigned)big) >= (int)sizeof(text))
            text[0] = '\0';
        sim_render_char_string(buf, "circuitId", text);
        sim_render_char_number(buf, "capacity", (int64_t)(10 + a) * 1000);
        break;
    }
}

static void sim_render_resource(const struct sim_world *world, const struct sim_item *item,
                struct sim_buf *buf)
{
    static const char *const usage[] = { "idle", "active", "busy" };
    uint64_t seed = world->config.seed;
    enum sim_rtype t = (enum sim_rtype)item->type;
    struct sim_res_states states = sim_render_res_states(item->status);
    struct sim_rng rng;
    struct sim_site site;
    const char *const *specs;
    char id[32], name[SIM_TEXT], text[SIM_TEXT * 3], site_name[SIM_TEXT], spec_id[48], parent_id[32];
    uint32_t spec, spec_count, customer, has_ext, usage_draw;
    int64_t birth, parent;
    int parent_type = -1, len;

    sim_rng_init(&rng, seed, SIM_KIND_RESOURCE, item->serial, 0);
    specs = sim_render_spec_list(t, &spec_count);
    spec = sim_rng_below(&rng, spec_count);
    if (t == SIM_RT_TRANSPONDER) {
        struct sim_transponder tp = sim_render_transponder(seed, item->serial);

        spec = tp.band == SIM_BAND_C ? 2 : tp.band == SIM_BAND_KA ? 3
               : tp.bandwidth_khz == 54000 ? 1 : 0;
    }
    customer = sim_rng_below(&rng, SIM_COUNT(sim_customers));
    has_ext = sim_rng_below(&rng, 10);
    usage_draw = sim_rng_below(&rng, 10);
    birth = sim_render_birth(seed, item, &rng);
    site = sim_render_site_of(world, item->serial, 0);
    parent = sim_render_parent(world, item->serial, &parent_type);

    sim_format_id(id, sizeof(id), "res", item->serial);
    sim_render_resource_name(world, item->serial, name, sizeof(name));
    sim_render_site_name(&site, site_name, sizeof(site_name));

    sim_json_open(buf, '{');
    sim_render_self(buf, SIM_RES_BASE, id);
    sim_json_key_string(buf, "@type", sim_rtype_names[t]);
    if (has_ext < 9) {
        if (snprintf(text, sizeof(text), "CI%07u", (unsigned)item->serial + 1000000u) >= (int)sizeof(text))
            text[0] = '\0';
        sim_json_key_string(buf, "externalId", text);
    }
    sim_json_key_string(buf, "name", name);
    if (t == SIM_RT_SATELLITE)
        len = snprintf(text, sizeof(text), "%s satellite operated by SES", name);
    else
        len = snprintf(text, sizeof(text), "%s %s (%s) at %s", sim_rtype_names[t], name,
                   specs[spec], site_name);
    if (len < 0 || (size_t)len >= sizeof(text))
        text[0] = '\0';
    sim_json_key_string(buf, "description", text);
    sim_json_key_string(buf, "category", sim_rtype_names[t]);
    sim_json_key_string(buf, "status", sim_status_names[item->status]);
    sim_json_key_string(buf, "operationalState", states.operational);
    sim_json_key_string(buf, "resourceStatus", states.resource_status);
    sim_json_key_string(buf, "administrativeState", states.administrative);
    sim_json_key_string(buf, "usageState", states.operational[0] == 'e'
                           ? usage[1 + usage_draw % 2] : usage[0]);
    sim_render_time(buf, "startOperatingDate", birth);
    sim_render_time(buf, "lastUpdate", item->last_update);

    sim_json_key(buf, "resourceSpecification");
    if (t == SIM_RT_SATELLITE) {
        uint32_t index = sim_render_satellite_index(world, item->serial);

        if (snprintf(spec_id, sizeof(spec_id), "rsp-satellite-%02u",
                 (unsigned)(index % SIM_COUNT(sim_satellites)) + 1) >= (int)sizeof(spec_id))
            spec_id[0] = '\0';
        sim_render_spec(buf, SIM_RSPEC_BASE, spec_id,
                sim_satellites[index % SIM_COUNT(sim_satellites)].platform, "1.0",
                "ResourceSpecification");
    } else {
        if (snprintf(spec_id, sizeof(spec_id), "rsp-%s-%02u", sim_rtype_names[t],
                 (unsigned)spec + 1) >= (int)sizeof(spec_id))
            spec_id[0] = '\0';
        sim_render_spec(buf, SIM_RSPEC_BASE, spec_id, specs[spec], "1.0", "ResourceSpecification");
    }

    sim_json_key(buf, "resourceCharacteristic");
    sim_json_open(buf, '[');
    sim_render_res_characteristics(world, item, &rng, spec, buf);
    sim_json_close(buf, ']');

    if (parent >= 0) {
        sim_format_id(parent_id, sizeof(parent_id), "res", (uint32_t)parent);
        sim_json_key(buf, "resourceRelationship");
        sim_json_open(buf, '[');
        sim_json_open(buf, '{');
        sim_json_key_string(buf, "relationshipType", "isContainedIn");
        sim_json_key(buf, "resource");
        sim_json_open(buf, '{');
        sim_render_ref(buf, SIM_RES_BASE, parent_id);
        sim_json_key_string(buf, "@referredType", sim_rtype_names[parent_type]);
        sim_json_close(buf, '}');
        sim_json_close(buf, '}');
        sim_json_close(buf, ']');
    }

    sim_json_key(buf, "place");
    sim_render_place(buf, &site, site.kind == SIM_SITE_ORBIT ? "OrbitalSlot" : "InstallationSite");

    sim_json_key(buf, "relatedParty");
    sim_json_open(buf, '[');
    sim_render_operator(buf);
    if (site.kind == SIM_SITE_CUSTOMER)
        sim_render_party(buf, customer, "User");
    sim_json_close(buf, ']');
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
