/* fuzz_http_fixture.h: what the HTTP fuzz targets share (included by fuzz_http_request.c
 * and fuzz_tmf_query.c, each its own program): a serve daemon that is never started,
 * over a store in a temporary folder holding a few real items of the simulator (two
 * services, a carrier, a modem and two other resources, mapped by the ses profile), and
 * an HTTP server without sockets (tmfinv_http_new) whose tmfinv_http_handle() runs the
 * request path from router to response. The store is put back as it was built every
 * FIXTURE_RESET_EVERY inputs, so that PATCHes found by the fuzzer do not pile up (and a
 * new server starts with an empty answer cache).
 *
 * Checked on every answer, besides the sanitizers: a status from 100 to 599; a body
 * that is valid UTF-8 and, when JSON is announced, one JSON value; header values
 * without CR or LF (no header injection) and valid UTF-8. */
#ifndef TMFINV_FUZZ_HTTP_FIXTURE_H
#define TMFINV_FUZZ_HTTP_FIXTURE_H

#include "fuzz.h"

#include "api.h"
#include "daemon.h"
#include "http.h"
#include "model.h"
#include "store.h"
#include "tmfinv_datadir.h"
#include "tmfinv_error.h"
#include "tmfinv_file.h"
#include "tmfinv_misc.h"
#include "tmfinv_utf8.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_RESET_EVERY 5000

static const struct {
    const char *api;
    const char *json;
} fixture_items[] = {
    {"tmf638",
     "{\"id\":\"svc-00000001\",\"href\":\"/tmf-api/serviceInventory/v4/service/svc-00000001\",\"@type\":\"Service\",\"e"
     "xternalId\":\"CFS-100003\",\"name\":\"Highland Schools Network Enterprise VSAT Cape Town Offshore Rig 91\","
     "\"description\":\"Enterprise VSAT service for Highland Schools Network, CIR 5 Mbit/s, Platinum SLA\",\"ca"
     "tegory\":\"CFS\",\"serviceType\":\"Enterprise VSAT\",\"status\":\"Operational\",\"state\":\"active\",\"startDate\":\"2"
     "024-09-21T03:22:33Z\",\"endDate\":\"2028-06-07T00:00:00Z\",\"lastUpdate\":\"2025-03-16T01:03:32Z\",\"serviceSp"
     "ecification\":{\"id\":\"ssp-cfs-08\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceCatalogManagement/"
     "v4/serviceSpecification/ssp-cfs-08\",\"name\":\"Enterprise VSAT CFS\",\"version\":\"2.1\",\"@referredType\":\"Se"
     "rviceSpecification\"},\"serviceCharacteristic\":[{\"name\":\"CIR\",\"valueType\":\"number\",\"value\":5},{\"name\":"
     "\"MIR\",\"valueType\":\"number\",\"value\":20},{\"name\":\"SLA\",\"valueType\":\"string\",\"value\":\"Platinum\"},{\"name"
     "\":\"availabilityTarget\",\"valueType\":\"number\",\"value\":99.95}],\"supportingResource\":[{\"id\":\"res-0000002"
     "7\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceInventoryManagement/v4/resource/res-00000027\","
     "\"name\":\"MDM-000027\",\"@referredType\":\"Modem\"},{\"id\":\"res-00000012\",\"href\":\"https://sim.tmfinv.invalid"
     "/tmf-api/resourceInventoryManagement/v4/resource/res-00000012\",\"name\":\"ANT-000012\",\"@referredType\":\""
     "Antenna\"}],\"supportingService\":[{\"id\":\"bws-00000004\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serv"
     "iceInventory/v4/service/bws-00000004\",\"name\":\"Bandwidth segment bws-00000004\",\"@referredType\":\"Servi"
     "ce\"}],\"serviceRelationship\":[{\"relationshipType\":\"reliesOn\",\"service\":{\"id\":\"car-00000004\",\"href\":\"h"
     "ttps://sim.tmfinv.invalid/tmf-api/serviceInventory/v4/service/car-00000004\",\"@referredType\":\"Service"
     "\"}}],\"relatedParty\":[{\"id\":\"org-1024\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/partyManagement/v4/"
     "organization/org-1024\",\"name\":\"Highland Schools Network\",\"role\":\"Customer\",\"@referredType\":\"Organiza"
     "tion\"}],\"place\":[{\"id\":\"site-004552\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/geographicSiteManage"
     "ment/v4/geographicSite/site-004552\",\"name\":\"Cape Town Offshore Rig 91\",\"role\":\"Site\",\"@referredType\""
     ":\"GeographicSite\"}]}"},
    {"tmf638",
     "{\"id\":\"svc-00000002\",\"href\":\"/tmf-api/serviceInventory/v4/service/svc-00000002\",\"@type\":\"Service\",\"e"
     "xternalId\":\"CFS-100006\",\"name\":\"Baltic Offshore Aero Connectivity Cape Town Offshore Rig 91\",\"descri"
     "ption\":\"Aero Connectivity service for Baltic Offshore, CIR 50 Mbit/s, Gold SLA\",\"category\":\"CFS\",\"se"
     "rviceType\":\"Aero Connectivity\",\"status\":\"Operational\",\"state\":\"active\",\"startDate\":\"2024-12-30T02:21"
     ":43Z\",\"endDate\":\"2029-12-06T00:00:00Z\",\"lastUpdate\":\"2025-03-31T20:17:15Z\",\"serviceSpecification\":{\""
     "id\":\"ssp-cfs-05\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceCatalogManagement/v4/serviceSpeci"
     "fication/ssp-cfs-05\",\"name\":\"Aero Connectivity CFS\",\"version\":\"2.1\",\"@referredType\":\"ServiceSpecific"
     "ation\"},\"serviceCharacteristic\":[{\"name\":\"CIR\",\"valueType\":\"number\",\"value\":50},{\"name\":\"MIR\",\"value"
     "Type\":\"number\",\"value\":100},{\"name\":\"SLA\",\"valueType\":\"string\",\"value\":\"Gold\"},{\"name\":\"availability"
     "Target\",\"valueType\":\"number\",\"value\":99.9}],\"supportingResource\":[{\"id\":\"res-00000017\",\"href\":\"https"
     "://sim.tmfinv.invalid/tmf-api/resourceInventoryManagement/v4/resource/res-00000017\",\"name\":\"MDM-0000"
     "17\",\"@referredType\":\"Modem\"},{\"id\":\"res-00000012\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourc"
     "eInventoryManagement/v4/resource/res-00000012\",\"name\":\"ANT-000012\",\"@referredType\":\"Antenna\"}],\"supp"
     "ortingService\":[{\"id\":\"bws-00000002\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceInventory/v4/"
     "service/bws-00000002\",\"name\":\"Bandwidth segment bws-00000002\",\"@referredType\":\"Service\"}],\"serviceRe"
     "lationship\":[{\"relationshipType\":\"reliesOn\",\"service\":{\"id\":\"car-00000002\",\"href\":\"https://sim.tmfin"
     "v.invalid/tmf-api/serviceInventory/v4/service/car-00000002\",\"@referredType\":\"Service\"}}],\"relatedPar"
     "ty\":[{\"id\":\"org-1013\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/partyManagement/v4/organization/org"
     "-1013\",\"name\":\"Baltic Offshore\",\"role\":\"Customer\",\"@referredType\":\"Organization\"}],\"place\":[{\"id\":\"s"
     "ite-004552\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/geographicSiteManagement/v4/geographicSite/si"
     "te-004552\",\"name\":\"Cape Town Offshore Rig 91\",\"role\":\"Site\",\"@referredType\":\"GeographicSite\"}]}"},
    {"tmf638",
     "{\"id\":\"car-00000000\",\"href\":\"/tmf-api/serviceInventory/v4/service/car-00000000\",\"@type\":\"element\",\"e"
     "xternalId\":\"CAR-200002\",\"name\":\"ASTRA 1KR C-05 UL 6101.750 V SCPC\",\"description\":\"SCPC carrier for N"
     "ordic Broadcast Group on ASTRA 1KR C-05, QPSK 1/2, 1000 ksym/s\",\"category\":\"carrier\",\"serviceType\":\""
     "Satellite Carrier\",\"status\":\"Deprecated\",\"state\":\"terminated\",\"startDate\":\"2025-06-13T18:00:54Z\",\"en"
     "dDate\":\"2029-11-06T00:00:00Z\",\"lastUpdate\":\"2025-09-11T17:36:11Z\",\"serviceSpecification\":{\"id\":\"ssp-"
     "carrier-01\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceCatalogManagement/v4/serviceSpecificat"
     "ion/ssp-carrier-01\",\"name\":\"SCPC Carrier\",\"version\":\"1.4\",\"@referredType\":\"ServiceSpecification\"},\"s"
     "erviceCharacteristic\":[{\"name\":\"elementType\",\"valueType\":\"string\",\"value\":\"Carrier\"},{\"name\":\"type\","
     "\"valueType\":\"string\",\"value\":\"SCPC\"},{\"name\":\"uplinkAlias\",\"valueType\":\"string\",\"value\":\"UL-ASTRA 1K"
     "R-C05-0000\"},{\"name\":\"downlinkAlias\",\"valueType\":\"string\",\"value\":\"DL-ASTRA 1KR-C05-0000\"},{\"name\":\""
     "uplinkFrequency\",\"valueType\":\"number\",\"value\":6101.75},{\"name\":\"downlinkFrequency\",\"valueType\":\"numb"
     "er\",\"value\":3876.75},{\"name\":\"symbolRate\",\"valueType\":\"number\",\"value\":1},{\"name\":\"occupiedBandwidth"
     "\",\"valueType\":\"number\",\"value\":1.2},{\"name\":\"modcod\",\"valueType\":\"string\",\"value\":\"QPSK 1/2\"},{\"name"
     "\":\"polarisation\",\"valueType\":\"string\",\"value\":\"V\"},{\"name\":\"band\",\"valueType\":\"string\",\"value\":\"C\"}]"
     ",\"supportingResource\":[{\"id\":\"res-00000008\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceInven"
     "toryManagement/v4/resource/res-00000008\",\"name\":\"ASTRA 1KR\",\"@referredType\":\"Satellite\"},{\"id\":\"res-"
     "00000010\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceInventoryManagement/v4/resource/res-000"
     "00010\",\"name\":\"ASTRA 1KR C-05\",\"@referredType\":\"Transponder\"}],\"supportingService\":[{\"id\":\"bws-00000"
     "000\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceInventory/v4/service/bws-00000000\",\"name\":\"Ba"
     "ndwidth segment bws-00000000\",\"@referredType\":\"Service\"}],\"serviceRelationship\":[{\"relationshipType\""
     ":\"child\",\"service\":{\"id\":\"car-00000001\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/serviceInventory/"
     "v4/service/car-00000001\",\"@referredType\":\"Service\"}}],\"relatedParty\":[{\"id\":\"org-1002\",\"href\":\"https"
     "://sim.tmfinv.invalid/tmf-api/partyManagement/v4/organization/org-1002\",\"name\":\"Nordic Broadcast Gro"
     "up\",\"role\":\"Customer\",\"@referredType\":\"Organization\"}],\"place\":[{\"id\":\"site-tp-000002\",\"href\":\"https"
     "://sim.tmfinv.invalid/tmf-api/geographicSiteManagement/v4/geographicSite/site-tp-000002\",\"name\":\"Woo"
     "dbine Teleport\",\"role\":\"Gateway\",\"@referredType\":\"GeographicSite\"},{\"id\":\"site-013922\",\"href\":\"https"
     "://sim.tmfinv.invalid/tmf-api/geographicSiteManagement/v4/geographicSite/site-013922\",\"name\":\"Nairob"
     "i Cell Site 52\",\"role\":\"Terminal\",\"@referredType\":\"GeographicSite\"}]}"},
    {"tmf639",
     "{\"id\":\"res-00000001\",\"href\":\"/tmf-api/resourceInventoryManagement/v4/resource/res-00000001\",\"@type\":"
     "\"Modem\",\"externalId\":\"CI1000001\",\"name\":\"MDM-000001\",\"description\":\"Modem MDM-000001 (Gilat SkyEdge "
     "II-c Capricorn) at Yellowknife Remote Site 55\",\"category\":\"Modem\",\"status\":\"Operational\",\"operationa"
     "lState\":\"enable\",\"resourceStatus\":\"available\",\"administrativeState\":\"unlocked\",\"usageState\":\"busy\",\""
     "startOperatingDate\":\"2024-06-15T03:55:48Z\",\"lastUpdate\":\"2025-11-15T12:13:53Z\",\"resourceSpecificatio"
     "n\":{\"id\":\"rsp-Modem-07\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceCatalogManagement/v4/reso"
     "urceSpecification/rsp-Modem-07\",\"name\":\"Gilat SkyEdge II-c Capricorn\",\"version\":\"1.0\",\"@referredType"
     "\":\"ResourceSpecification\"},\"resourceCharacteristic\":[{\"name\":\"serialNumber\",\"valueType\":\"string\",\"va"
     "lue\":\"Gi02CA6312\"},{\"name\":\"rxFrequency\",\"valueType\":\"number\",\"value\":1070.5},{\"name\":\"txFrequency\","
     "\"valueType\":\"number\",\"value\":1170.5},{\"name\":\"firmwareVersion\",\"valueType\":\"string\",\"value\":\"3.8.3\"}"
     ",{\"name\":\"managementIp\",\"valueType\":\"string\",\"value\":\"10.168.143.232\"}],\"resourceRelationship\":[{\"re"
     "lationshipType\":\"isContainedIn\",\"resource\":{\"id\":\"res-00000026\",\"href\":\"https://sim.tmfinv.invalid/t"
     "mf-api/resourceInventoryManagement/v4/resource/res-00000026\",\"@referredType\":\"Antenna\"}}],\"place\":{\""
     "id\":\"site-015768\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/geographicSiteManagement/v4/geographicS"
     "ite/site-015768\",\"name\":\"Yellowknife Remote Site 55\",\"role\":\"InstallationSite\",\"@referredType\":\"Geog"
     "raphicSite\"},\"relatedParty\":[{\"id\":\"org-0001\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/partyManage"
     "ment/v4/organization/org-0001\",\"name\":\"SES Network Operations\",\"role\":\"Owner\",\"@referredType\":\"Organ"
     "ization\"},{\"id\":\"org-1001\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/partyManagement/v4/organizatio"
     "n/org-1001\",\"name\":\"Atlantic Maritime Lines\",\"role\":\"User\",\"@referredType\":\"Organization\"}]}"},
    {"tmf639",
     "{\"id\":\"res-00000005\",\"href\":\"/tmf-api/resourceInventoryManagement/v4/resource/res-00000005\",\"@type\":"
     "\"Transponder\",\"externalId\":\"CI1000005\",\"name\":\"ASTRA 1L C-30\",\"description\":\"Transponder ASTRA 1L C-"
     "30 (C 36 MHz Transponder) at Orbital slot 19.2E\",\"category\":\"Transponder\",\"status\":\"Operational\",\"op"
     "erationalState\":\"enable\",\"resourceStatus\":\"available\",\"administrativeState\":\"unlocked\",\"usageState\":"
     "\"busy\",\"startOperatingDate\":\"2024-06-02T04:56:36Z\",\"lastUpdate\":\"2025-05-18T21:42:46Z\",\"resourceSpec"
     "ification\":{\"id\":\"rsp-Transponder-03\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceCatalogMana"
     "gement/v4/resourceSpecification/rsp-Transponder-03\",\"name\":\"C 36 MHz Transponder\",\"version\":\"1.0\",\"@"
     "referredType\":\"ResourceSpecification\"},\"resourceCharacteristic\":[{\"name\":\"band\",\"valueType\":\"string\""
     ",\"value\":\"C\"},{\"name\":\"bandwidth\",\"valueType\":\"number\",\"value\":36},{\"name\":\"transponderNumber\",\"valu"
     "eType\":\"number\",\"value\":30},{\"name\":\"uplinkStartFrequency\",\"valueType\":\"number\",\"value\":6033},{\"name"
     "\":\"downlinkStartFrequency\",\"valueType\":\"number\",\"value\":3808},{\"name\":\"polarisation\",\"valueType\":\"st"
     "ring\",\"value\":\"H\"}],\"resourceRelationship\":[{\"relationshipType\":\"isContainedIn\",\"resource\":{\"id\":\"re"
     "s-00000024\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/resourceInventoryManagement/v4/resource/res-0"
     "0000024\",\"@referredType\":\"Satellite\"}}],\"place\":{\"id\":\"site-orb-000001\",\"href\":\"https://sim.tmfinv.i"
     "nvalid/tmf-api/geographicSiteManagement/v4/geographicSite/site-orb-000001\",\"name\":\"Orbital slot 19.2"
     "E\",\"role\":\"OrbitalSlot\",\"@referredType\":\"GeographicSite\"},\"relatedParty\":[{\"id\":\"org-0001\",\"href\":\"h"
     "ttps://sim.tmfinv.invalid/tmf-api/partyManagement/v4/organization/org-0001\",\"name\":\"SES Network Oper"
     "ations\",\"role\":\"Owner\",\"@referredType\":\"Organization\"}]}"},
    {"tmf639",
     "{\"id\":\"res-00000008\",\"href\":\"/tmf-api/resourceInventoryManagement/v4/resource/res-00000008\",\"@type\":"
     "\"Satellite\",\"externalId\":\"CI1000008\",\"name\":\"ASTRA 1KR\",\"description\":\"ASTRA 1KR satellite operated "
     "by SES\",\"category\":\"Satellite\",\"status\":\"Degraded\",\"operationalState\":\"enable\",\"resourceStatus\":\"ala"
     "rm\",\"administrativeState\":\"unlocked\",\"usageState\":\"busy\",\"startOperatingDate\":\"2023-06-23T07:13:37Z\""
     ",\"lastUpdate\":\"2025-05-21T10:16:20Z\",\"resourceSpecification\":{\"id\":\"rsp-satellite-01\",\"href\":\"https:"
     "//sim.tmfinv.invalid/tmf-api/resourceCatalogManagement/v4/resourceSpecification/rsp-satellite-01\",\"n"
     "ame\":\"Lockheed Martin A2100AX\",\"version\":\"1.0\",\"@referredType\":\"ResourceSpecification\"},\"resourceCha"
     "racteristic\":[{\"name\":\"orbitalPosition\",\"valueType\":\"string\",\"value\":\"19.2E\"},{\"name\":\"orbit\",\"value"
     "Type\":\"string\",\"value\":\"GEO\"},{\"name\":\"operator\",\"valueType\":\"string\",\"value\":\"SES\"},{\"name\":\"platfo"
     "rm\",\"valueType\":\"string\",\"value\":\"Lockheed Martin A2100AX\"},{\"name\":\"launchYear\",\"valueType\":\"number"
     "\",\"value\":2006}],\"place\":{\"id\":\"site-orb-000000\",\"href\":\"https://sim.tmfinv.invalid/tmf-api/geograph"
     "icSiteManagement/v4/geographicSite/site-orb-000000\",\"name\":\"Orbital slot 19.2E\",\"role\":\"OrbitalSlot\""
     ",\"@referredType\":\"GeographicSite\"},\"relatedParty\":[{\"id\":\"org-0001\",\"href\":\"https://sim.tmfinv.inval"
     "id/tmf-api/partyManagement/v4/organization/org-0001\",\"name\":\"SES Network Operations\",\"role\":\"Owner\","
     "\"@referredType\":\"Organization\"}]}"},
};

static char fixture_dir[64];
static char fixture_db[128];
static char fixture_pristine[128];
static char fixture_config[128];
static tmfinv_daemon *fixture_daemon;
static tmfinv_http_server *fixture_server;
static unsigned long fixture_runs;

static void fixture_fail(const char *what)
{
    fprintf(stderr, "fuzz fixture: %s: %s\n", what, tmfinv_error_last());
    abort();
}

/* Creates the store and writes the items into it as the sync would have, before any
 * other connection is open: closing this one checkpoints the WAL into the file. */
static void fixture_fill(void)
{
    tmfinv_model *model = NULL;
    tmfinv_store *store = NULL;
    char now[32], *profile = NULL;

    if (tmfinv_model_profile_path("ses", &profile) < 0 || tmfinv_model_load(profile, &model) < 0)
        fixture_fail("load the ses profile");
    free(profile);
    if (tmfinv_store_open(fixture_db, &store) < 0 || tmfinv_store_begin_write(store) < 0)
        fixture_fail("open the store");
    tmfinv_time_now(now, sizeof(now));
    for (size_t i = 0; i < sizeof(fixture_items) / sizeof(fixture_items[0]); i++) {
        cJSON *item = cJSON_Parse(fixture_items[i].json);
        const tmfinv_definition *d = item ? tmfinv_model_classify(model, fixture_items[i].api, item) : NULL;
        tmfinv_instance inst;
        tmfinv_reject why = {0};
        const cJSON *status;

        memset(&inst, 0, sizeof(inst));
        if (!d || tmfinv_definition_key(d, item, &inst.key) < 0 || !inst.key ||
            tmfinv_definition_map(d, item, &inst.fields, &why) < 0)
            fixture_fail("map a fixture item");
        (void)tmfinv_uuid_new(inst.id, sizeof(inst.id));
        inst.definition = d->name;
        inst.source = (char *)"fuzz";
        status = cJSON_GetObjectItemCaseSensitive(inst.fields, d->fields[d->status_field].name);
        inst.status = cJSON_IsString(status) ? status->valuestring : NULL;
        (void)snprintf(inst.created, sizeof(inst.created), "%s", now);
        (void)snprintf(inst.modified, sizeof(inst.modified), "%s", now);
        inst.raw = (char *)fixture_items[i].json;
        tmfinv_sha256_hex(inst.raw, strlen(inst.raw), inst.content_hash);
        if (tmfinv_store_put(store, &inst) < 0)
            fixture_fail("store a fixture item");
        cJSON_Delete(inst.fields);
        free(inst.key);
        cJSON_Delete(item);
    }
    if (tmfinv_store_commit(store) < 0)
        fixture_fail("commit");
    tmfinv_store_close(store);
    tmfinv_model_free(model);
}

static int fixture_copy(const char *from, const char *to)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f;
    int ok;

    if (tmfinv_file_read(from, 64 * 1024 * 1024, &text, &len) < 0)
        return -1;
    ok = (f = fopen(to, "wb")) != NULL && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(text);
    return ok ? 0 : -1;
}

/* The daemon (configuration, model, its own store connection) and the server. */
static void fixture_open(void)
{
    static const tmfinv_http_route *const tables[] = {tmfinv_api_tmf_routes, tmfinv_api_om_routes,
                                                      tmfinv_api_ops_routes};
    size_t sizes[] = {tmfinv_api_tmf_n_routes, tmfinv_api_om_n_routes, tmfinv_api_ops_n_routes};
    tmfinv_http_config hc = {.listen = "127.0.0.1:0", .store_path = fixture_db, .threads = 1,
                             .max_connections = 8, .timeout_s = 5, .max_body = 1024 * 1024,
                             .max_url = 8192, .max_headers = 64};

    if (tmfinv_daemon_new(fixture_config, NULL, NULL, &fixture_daemon) < 0)
        fixture_fail("daemon");
    if (tmfinv_http_new(&hc, tables, sizes, 3, fixture_daemon, &fixture_server) < 0)
        fixture_fail("http server");
}

/* The data files the daemon reads (profile, OpenAPI document, the TMF specifications POST
 * bodies are validated against), copied at start into the
 * fixture's folder, which becomes TMFINV_DATA_DIR: every reset reloads the profile, and a
 * long run must not see a profile edited in the tree meanwhile. */
static const char *const fixture_data_files[] = {"profiles/ses.json", "openapi.json",
                                                 "tmf/TMF638-ServiceInventory-v4.0.0.swagger.json",
                                                 "tmf/TMF639-ResourceInventory-v4.0.0.swagger.json"};

static void fixture_snapshot_data(void)
{
    char *dir = NULL, from[1024], to[192];

    if (tmfinv_datadir_get(&dir) < 0)
        fixture_fail("data folder");
    (void)snprintf(to, sizeof(to), "%s/data", fixture_dir);
    if (mkdir(to, 0700) < 0)
        fixture_fail("mkdir data");
    (void)snprintf(to, sizeof(to), "%s/data/profiles", fixture_dir);
    if (mkdir(to, 0700) < 0)
        fixture_fail("mkdir data/profiles");
    (void)snprintf(to, sizeof(to), "%s/data/tmf", fixture_dir);
    if (mkdir(to, 0700) < 0)
        fixture_fail("mkdir data/tmf");
    for (size_t i = 0; i < sizeof(fixture_data_files) / sizeof(fixture_data_files[0]); i++) {
        (void)snprintf(from, sizeof(from), "%s/%s", dir, fixture_data_files[i]);
        (void)snprintf(to, sizeof(to), "%s/data/%s", fixture_dir, fixture_data_files[i]);
        if (fixture_copy(from, to) < 0)
            fixture_fail(fixture_data_files[i]);
    }
    free(dir);
    (void)snprintf(to, sizeof(to), "%s/data", fixture_dir);
    if (setenv("TMFINV_DATA_DIR", to, 1) < 0)
        fixture_fail("setenv");
}

/* At exit: everything closed and the temporary folder removed. */
static void fixture_cleanup(void)
{
    static const char *const names[] = {"store.db",          "store.db-wal",          "store.db-shm",
                                        "pristine.db",       "tmfinv.ini",            "data/profiles/ses.json",
                                        "data/openapi.json", "data/tmf/TMF638-ServiceInventory-v4.0.0.swagger.json",
                                        "data/tmf/TMF639-ResourceInventory-v4.0.0.swagger.json",
                                        "data/tmf",          "data/profiles",         "data"};
    char path[192];

    tmfinv_http_stop(fixture_server);
    tmfinv_daemon_stop(fixture_daemon);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/%s", fixture_dir, names[i]);
        if (unlink(path) < 0)
            (void)rmdir(path);
    }
    (void)rmdir(fixture_dir);
}

/* Builds everything once per process. */
static void fixture_init(void)
{
    FILE *f;

    if (fixture_daemon)
        return;
    (void)snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/tmfinv-fuzz-XXXXXX");
    if (!mkdtemp(fixture_dir))
        fixture_fail("mkdtemp");
    (void)snprintf(fixture_db, sizeof(fixture_db), "%s/store.db", fixture_dir);
    (void)snprintf(fixture_pristine, sizeof(fixture_pristine), "%s/pristine.db", fixture_dir);
    (void)snprintf(fixture_config, sizeof(fixture_config), "%s/tmfinv.ini", fixture_dir);
    if (!(f = fopen(fixture_config, "w")))
        fixture_fail("write the configuration");
    fprintf(f, "[store]\npath = %s\n\n[http]\nlisten = 127.0.0.1:0\n", fixture_db);
    fclose(f);
    fixture_snapshot_data();
    fixture_fill();
    if (fixture_copy(fixture_db, fixture_pristine) < 0)
        fixture_fail("copy the store");
    fixture_open();
    atexit(fixture_cleanup);
}

/* Every FIXTURE_RESET_EVERY inputs: every connection closed (the last one checkpoints and
 * removes the WAL), the store as built, a new daemon and server. */
static void fixture_maybe_reset(void)
{
    if (++fixture_runs % FIXTURE_RESET_EVERY)
        return;
    tmfinv_http_stop(fixture_server);
    tmfinv_daemon_stop(fixture_daemon);
    fixture_server = NULL;
    fixture_daemon = NULL;
    if (fixture_copy(fixture_pristine, fixture_db) < 0)
        fixture_fail("restore the store");
    fixture_open();
}

/* The checks every answer must pass. */
static void fixture_check(const tmfinv_http_response *res)
{
    const char *body = res->body.data ? res->body.data : "";

    FUZZ_CHECK(res->status >= 100 && res->status < 600);
    FUZZ_CHECK(tmfinv_utf8_valid(body, res->body.len));
    if (strncmp(res->content_type, "application/json", 16) == 0) {
        const char *end = NULL;
        cJSON *json = cJSON_ParseWithLengthOpts(body, res->body.len, &end, 0);

        FUZZ_CHECK(json != NULL);
        FUZZ_CHECK(end == body + res->body.len);
        cJSON_Delete(json);
    }
    for (size_t i = 0; i < res->n_headers; i++) {
        const char *v = res->headers[i].value;

        FUZZ_CHECK(!strpbrk(v, "\r\n"));
        FUZZ_CHECK(tmfinv_utf8_valid(v, strlen(v)));
    }
}

#endif
