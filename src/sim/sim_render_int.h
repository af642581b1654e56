/* sim_render_int.h: what the files of the simulator's renderer share (private to src/sim):
 * the catalogues and types (static tables: each file uses some), sim_render.c's helpers (the
 * rng, places, parties, the resource hierarchy, satellites and transponders), and the
 * renderers of sim_render_service.c (services, carriers) and sim_render_resource.c
 * (resources). */
#ifndef SIM_RENDER_INT_H
#define SIM_RENDER_INT_H

#include "sim_data.h"
#include "sim_json.h"

#include <stddef.h>
#include <stdint.h>

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

/* ---- types and tables of the helpers ---- */

/* Where a resource sits. */
enum sim_site_kind { SIM_SITE_CUSTOMER, SIM_SITE_TELEPORT, SIM_SITE_ORBIT };

struct sim_site {
    enum sim_site_kind kind;
    uint32_t index;         /* customer site number, teleport or satellite catalogue index */
};

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

/* ---- helpers (sim_render.c) ---- */

uint64_t sim_rng_next(struct sim_rng *rng);
uint32_t sim_rng_below(struct sim_rng *rng, uint32_t n);
void sim_rng_init(struct sim_rng *rng, uint64_t seed, enum sim_kind kind, uint32_t serial,
             uint32_t purpose);
void sim_render_ref(struct sim_buf *buf, const char *base, const char *id);
void sim_render_self(struct sim_buf *buf, const char *base, const char *id);
void sim_render_char_string(struct sim_buf *buf, const char *name, const char *value);
void sim_render_char_number(struct sim_buf *buf, const char *name, int64_t milli);
void sim_render_time(struct sim_buf *buf, const char *key, int64_t offset);
void sim_format_id(char *out, size_t size, const char *prefix, uint32_t serial);
int64_t sim_render_birth(uint64_t seed, const struct sim_item *item, struct sim_rng *rng);
int64_t sim_render_end(int64_t birth, uint64_t draw, unsigned years);
int64_t sim_render_pick(const struct sim_world *world, int t, uint32_t salt, uint32_t key);
int64_t sim_render_parent(const struct sim_world *world, uint32_t serial, int *type);
uint32_t sim_render_satellite_index(const struct sim_world *world, uint32_t serial);
struct sim_site sim_render_site_of(const struct sim_world *world, uint32_t serial, int depth);
void sim_render_site_name(const struct sim_site *site, char *out, size_t size);
void sim_render_place(struct sim_buf *buf, const struct sim_site *site, const char *role);
void sim_render_party(struct sim_buf *buf, uint32_t customer, const char *role);
void sim_render_operator(struct sim_buf *buf);
void sim_render_satellite_name(const struct sim_world *world, uint32_t serial,
                      char *out, size_t size);
struct sim_transponder sim_render_transponder(uint64_t seed, uint32_t serial);
void sim_render_transponder_name(const struct sim_world *world, uint32_t serial,
                    char *out, size_t size);
void sim_render_resource_name(const struct sim_world *world, uint32_t serial,
                     char *out, size_t size);
void sim_render_resource_ref(struct sim_buf *buf, const struct sim_world *world,
                    int64_t serial, enum sim_rtype fallback_type);

void sim_render_service(const struct sim_world *world, const struct sim_item *item,
                   struct sim_buf *buf);
void sim_render_carrier(const struct sim_world *world, const struct sim_item *item,
                   struct sim_buf *buf);
void sim_render_resource(const struct sim_world *world, const struct sim_item *item,
                struct sim_buf *buf);
/* sim_render_service.c: a service or resource specification reference */
void sim_render_spec(struct sim_buf *buf, const char *base, const char *id, const char *name,
                const char *version, const char *referred);

#endif
