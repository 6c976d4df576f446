// Command switchboard runs the Switchboard routing service.
//
//	switchboard [serve] [--config FILE]   run the service (default)
//	switchboard check-config FILE          list every configuration error
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	_ "time/tzdata" // agents' time zones work in a bare container

	"switchboard/config"
	"switchboard/validation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] != "" && args[0][0] != '-' || slices.Contains([]string{"-h", "-help", "--help"}, args[0])) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "check-config":
		return checkConfig(args, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, stdout, stderr)
	case "staffing":
		return staffing(ctx, args, os.Stdin, stdout, stderr)
	case "simulate":
		return simulate(ctx, args, os.Stdin, stdout, stderr)
	case "bench":
		return bench(ctx, args, stdout, stderr)
	case "loadtest":
		return loadTest(ctx, args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "version":
		fmt.Fprintln(stdout, "switchboard", version())
		return nil
	default:
		usage(stderr)
		return errUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  switchboard [serve] [--config FILE]   run the service (config: --config, SWITCHBOARD_CONFIG, or the built-in example)
  switchboard check-config FILE          check a configuration file and list every error
  switchboard migrate [--config FILE]    apply the PostgreSQL archive's migrations (DATABASE_URL); serve applies them too
  switchboard version                    print the version
  switchboard staffing [FILE]            agents needed per queue and interval (Erlang C and A); JSON request from FILE or stdin
  switchboard simulate [FILE]            what-if simulation on the real engine (REDIS_URL or embedded); JSON scenario from FILE or stdin
  switchboard bench [-agents N] [-waiting N] [-n N]   time routing decisions on REDIS_URL (or embedded), in a workspace removed afterwards
  switchboard loadtest [-url URLS] [-agents N] [-rate R] [-duration D]   agents on event streams taking contacts, against running replicas
`)
}

// loadConfig reads the configuration named by --config or SWITCHBOARD_CONFIG,
// or the built-in example when neither is set.
func loadConfig(path string) (*config.Config, string, error) {
	if path == "" {
		path = os.Getenv("SWITCHBOARD_CONFIG")
	}
	if path == "" {
		cfg, err := config.Parse(config.Example, os.Getenv)
		return cfg, "built-in example (config/example.yaml)", err
	}
	cfg, err := config.Load(path, os.Getenv)
	return cfg, path, err
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && slices.Contains([]string{"-h", "-help", "--help"}, args[0]) {
		fmt.Fprintln(stdout, "usage: switchboard check-config FILE\n\nChecks a configuration file as the service would load it (with the environment overrides) and lists every error.")
		return nil
	}
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: switchboard check-config FILE")
		return errUsage
	}
	// The environment the service would apply, applied here too.
	cfg, err := config.Load(args[0], os.Getenv)
	var errs validation.Errors
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			fmt.Fprintln(stderr, e.Error())
		}
		return fmt.Errorf("%s: %d error(s)", args[0], len(errs))
	case err != nil:
		return err
	}
	if len(cfg.EnvUsed) > 0 {
		fmt.Fprintf(stdout, "%s: ok (with %s from the environment)\n", args[0], strings.Join(cfg.EnvUsed, ", "))
		return nil
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// parseErr is what a subcommand returns when its flags do not parse:
// nothing for --help (its usage is printed; exit 0), else a usage error.
func parseErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return errUsage
}

// version is the module's version, or the commit it was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value[:min(12, len(s.Value))]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += " (modified)"
		}
	}
	return v + " " + bi.GoVersion
}

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// readJSON decodes, strictly, the JSON in the file named by the only
// argument, or standard input without one.
func readJSON(fs *flag.FlagSet, stdin io.Reader, what string, v any) error {
	in := stdin
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("read the %s: %w", what, err)
	}
	return nil
}

// openRedis loads the configuration and opens its Redis (or the embedded
// one) for the tools that run against it, logging only warnings.
func openRedis(path string, stderr io.Writer) (*config.Config, redis.UniversalClient, func(), error) {
	cfg, _, err := loadConfig(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("configuration: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rdb, _, closeRedis, err := connect(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, rdb, closeRedis, nil
}
