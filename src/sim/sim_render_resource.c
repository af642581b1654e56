/* sim_render_resource.c: the simulator's TMF639 v4 Resource items: states, specifications,
 * characteristics per resource type, places, parties and the hierarchy. */
#include "sim_render_int.h"

#include <stdio.h>
#include <string.h>

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

void sim_render_resource(const struct sim_world *world, const struct sim_item *item,
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

