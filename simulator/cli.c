#include "simulator/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_usage[] =
    "usage: fastsim [SCENARIO.ini] [options]\n"
    "  --arch A          staged | shared-nothing | single | pool\n"
    "  --cores N         CPUs in the model\n"
    "  --clients N       closed-loop clients (1 to 1000000)\n"
    "  --seed S          PRNG seed (same seed, same run; up to 2^53)\n"
    "  --duration MS     simulated milliseconds\n"
    "  --replications N  run N seeds, report means and 95% intervals\n"
    "  --replay TRACE    play an fdtrace file recorded by fastd --trace\n"
    "  --live PATH       draw a running `fastd --trace unix:PATH`\n"
    "  --seconds S       live: stop after S seconds (default: until q)\n"
    "  --headless        no window: render off-screen (with --png)\n"
    "  --png FILE        save the last frame as a PNG; with --frames and a\n"
    "                    %d in FILE, save every frame\n"
    "  --frames N        headless: animate N frames of 1/30 s at --speed\n"
    "  --at MS           headless: run the model to MS first (a picture\n"
    "                    taken mid-run, fds in flight, with --frames;\n"
    "                    a replay: MS after the trace's first event)\n"
    "  --size WxH        window or picture size (default 1280x720)\n"
    "  --report text|json  print what was measured (with a picture at\n"
    "                    --at or --frames: up to that moment)\n"
    "  --speed X         simulated seconds per wall second (default: the\n"
    "                    scenario's speed key, else the warm-up in 8 s;\n"
    "                    0.01 for a replay)\n"
    "Keys: space pause, . step, f follow a connection (or click it),\n"
    "      left/right speed, 1-4 architecture, up/down cores, +/- clients,\n"
    "      r reset, s screenshot, h help, q quit (Esc closes the help),\n"
    "      v squares or flows (chosen by the rate until v is pressed)\n"
    "      (a replay or a live view plays what happened: 1-4, up/down, +/-\n"
    "      and r do not apply there)\n";

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "fastsim: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !(d >= lo) || !(d <= hi))
        return -1;
    *out = d;
    return 0;
}

int cli_parse(int argc, char **argv, struct cli *cli, struct scenario *sc)
{
    static const struct option longopts[] = {
        {"arch", required_argument, NULL, 'a'},
        {"cores", required_argument, NULL, 'c'},
        {"clients", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"replications", required_argument, NULL, 'R'},
        {"replay", required_argument, NULL, 'r'},
        {"live", required_argument, NULL, 'L'},
        {"seconds", required_argument, NULL, 'e'},
        {"headless", no_argument, NULL, 'H'},
        {"png", required_argument, NULL, 'p'},
        {"frames", required_argument, NULL, 'f'},
        {"at", required_argument, NULL, 'A'},
        {"size", required_argument, NULL, 'S'},
        {"report", required_argument, NULL, 'o'},
        {"speed", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    /* Overrides are applied after the scenario file is read. */
    const char *over[8][3];
    const char *model_flag = NULL;
    int nover = 0, c, idx = 0;
    double d;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        const char *sec = NULL, *key = NULL;
        switch (c) {
        case 'a':
            sec = "scenario", key = "arch";
            break;
        case 'c':
            sec = "scenario", key = "cores";
            break;
        case 'n':
            sec = "load", key = "clients";
            break;
        case 's':
            sec = "scenario", key = "seed";
            break;
        case 'd':
            sec = "scenario", key = "duration_ms";
            break;
        case 'R':
            if (parse_number(optarg, 1, 1000, &d) < 0 || d != (int)d)
                return usage_error("bad value '%s' for --%s", optarg,
                                   "replications");
            cli->replications = (int)d;
            model_flag = "replications";
            break;
        case 'r':
            cli->replay = optarg;
            break;
        case 'L':
            cli->live = optarg;
            break;
        case 'e':
            if (parse_number(optarg, 0.1, 86400, &cli->seconds) < 0)
                return usage_error("bad value '%s' for --%s", optarg,
                                   "seconds");
            break;
        case 'H':
            cli->headless = true;
            break;
        case 'p':
            cli->png = optarg;
            break;
        case 'f':
            if (parse_number(optarg, 1, 100000, &d) < 0 || d != (int)d)
                return usage_error("bad value '%s' for --%s (1 to 100000)",
                                   optarg, "frames");
            cli->frames = (int)d;
            break;
        case 'A':
            if (parse_number(optarg, 0, 3.6e6, &cli->at_ms) < 0)
                return usage_error("bad value '%s' for --%s (ms)", optarg,
                                   "at");
            break;
        case 'S':
            if (sscanf(optarg, "%dx%d", &cli->width, &cli->height) != 2 ||
                cli->width < 320 || cli->height < 240 || cli->width > 7680 ||
                cli->height > 4320)
                return usage_error("bad value '%s' for --%s (WxH, from "
                                   "320x240)",
                                   optarg, "size");
            break;
        case 'o':
            if (!strcmp(optarg, "text"))
                cli->report = REPORT_TEXT;
            else if (!strcmp(optarg, "json"))
                cli->report = REPORT_JSON;
            else
                return usage_error("bad value '%s' for --%s (text or json)",
                                   optarg, "report");
            break;
        case 'x':
            if (parse_number(optarg, 1e-9, 1e6, &cli->speed) < 0)
                return usage_error("bad value '%s' for --%s", optarg, "speed");
            break;
        case 'h':
            fputs(cli_usage, stdout);
            return 1;
        case ':':
            return usage_error("%s needs a value%s", argv[optind - 1], "");
        default:
            return usage_error("unknown option '%s'%s", argv[optind - 1], "");
        }
        if (key) {
            model_flag = longopts[idx].name;
            if (nover == 8) /* a flag repeated many times: the last wins */
                nover = 7;
            over[nover][0] = sec, over[nover][1] = key;
            over[nover++][2] = optarg;
        }
    }
    if (optind < argc)
        cli->scenario = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'%s", argv[optind], "");
    const char *source = cli->replay ? "--replay" : cli->live ? "--live" : 0;
    if (cli->replay && cli->live)
        return usage_error("%s and %s go separately", "--replay", "--live");
    /* A trace is what happened: the model's knobs would be ignored. */
    if (source && cli->scenario)
        return usage_error("%s plays a trace; a scenario file ('%s') "
                           "does not apply",
                           source, cli->scenario);
    if (source && model_flag)
        return usage_error("%s plays a trace; --%s does not apply", source,
                           model_flag);
    /* A live view has no past to run through. */
    if (cli->live && cli->at_ms > 0)
        return usage_error("%s draws fastd as it runs; --%s does not apply",
                           "--live", "at");
    cli->model_options = cli->scenario || model_flag;
    char err[512];
    if (cli->scenario && scenario_load(sc, cli->scenario, err, sizeof err)) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nover; i++)
        if (scenario_set(sc, over[i][0], over[i][1], over[i][2], err,
                         sizeof err) < 0) {
            /* The error names the scenario's key; the learner typed the
             * option (--duration said "--duration_ms: ..."). */
            size_t k = strlen(over[i][1]);
            bool named = !strncmp(err, over[i][1], k) && err[k] == ':';
            if (named && !strcmp(over[i][1], "duration_ms"))
                fprintf(stderr, "fastsim: --duration%s\n", err + k);
            else
                fprintf(stderr, "fastsim: --%s\n", err);
            return 2;
        }
    /* A --duration shorter than the scenario's warm-up: keep a tenth. */
    for (int i = 0; i < nover; i++)
        if (!strcmp(over[i][1], "duration_ms") &&
            sc->warmup_ns >= sc->duration_ns)
            sc->warmup_ns = sc->duration_ns / 10;
    /* Open-loop arrivals come at [load] rate; clients would be ignored,
     * and a run with the flag would look like an answer to it. */
    for (int i = 0; i < nover; i++)
        if (!strcmp(over[i][1], "clients") && sc->open_loop)
            return usage_error("--clients %s does not apply: the scenario's "
                               "load is open (mode = open: arrivals at [load] "
                               "rate), not closed-loop clients%s",
                               over[i][2], "");
    if (scenario_check(sc, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 2;
    }
    return 0;
}
