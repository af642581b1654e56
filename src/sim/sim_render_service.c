/* sim_render_service.c: the simulator's TMF638 v4 Service items: customer-facing services
 * and carriers (@type element), with their characteristics, places, parties and references. */
#include "sim_render_int.h"

#include <stdio.h>
#include <string.h>

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

/* The CFS services (serials of the initial population) that carry carrier `carrier`'s
 * bandwidth segments: two, chosen by hash and different when there are two services or more.
 * Returns how many (0 without services). Like every reference into the initial population,
 * they may be removed by later epochs. */
static int sim_render_carrier_services(const struct sim_world *world, uint32_t carrier, uint32_t out[2])
{
    uint32_t n = world->config.services;

    if (n == 0)
        return 0;
    out[0] = (uint32_t)(sim_data_hash(world->config.seed, SIM_SALT_PICK + 500, 0, carrier) % n);
    if (n == 1)
        return 1;
    out[1] = (uint32_t)((out[0] + 1 + sim_data_hash(world->config.seed, SIM_SALT_PICK + 501, 0, carrier) % (n - 1)) % n);
    return 2;
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

void sim_render_spec(struct sim_buf *buf, const char *base, const char *id, const char *name,
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

void sim_render_service(const struct sim_world *world, const struct sim_item *item,
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
    /* The bandwidth segment it shares with the carrier it relies on: the first CFS service
     * carrying that carrier's segments (the second when the first is this very service). */
    {
        uint32_t segs[2];
        int n_segs = world->config.carriers > 0 ? sim_render_carrier_services(world, carrier, segs) : 0;

        if (n_segs == 2 && segs[0] == item->serial)
            segs[0] = segs[1];
        if (n_segs > 0)
            sim_format_id(bws_id, sizeof(bws_id), "svc", segs[0]);
        else
            sim_format_id(bws_id, sizeof(bws_id), "bws", carrier);
    }

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

void sim_render_carrier(const struct sim_world *world, const struct sim_item *item,
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

    /* Its bandwidth segments: CFS services of the inventory (SES's carriers are supported by
     * bandwidth-segment CFS services); a made-up bws- id only when there are no services. */
    sim_json_key(buf, "supportingService");
    sim_json_open(buf, '[');
    {
        uint32_t segs[2];
        int n_segs = sim_render_carrier_services(world, item->serial, segs);

        for (int k = 0; k < (n_segs ? n_segs : 1); k++) {
            if (n_segs)
                sim_format_id(bws_id, sizeof(bws_id), "svc", segs[k]);
            else
                sim_format_id(bws_id, sizeof(bws_id), "bws", item->serial);
            sim_json_open(buf, '{');
            if (snprintf(text, sizeof(text), "Bandwidth segment %s", bws_id) >= (int)sizeof(text))
                text[0] = '\0';
            sim_render_service_ref(buf, bws_id, text);
            sim_json_close(buf, '}');
        }
    }
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

