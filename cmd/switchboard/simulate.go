package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"switchboard/sim"
)

// simulate runs a what-if scenario (the body of POST /v1/simulations) on
// REDIS_URL, or on an embedded Redis, in a workspace of its own.
func simulate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("simulate", stderr)
	path := fs.String("config", "", "configuration file (default: $SWITCHBOARD_CONFIG, else the built-in example)")
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	var sc sim.Scenario
	if err := readJSON(fs, stdin, "scenario", &sc); err != nil {
		return err
	}
	cfg, rdb, closeRedis, err := openRedis(*path, stderr)
	if err != nil {
		return err
	}
	defer closeRedis()
	rep, err := sim.Run(ctx, rdb, cfg, sc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "simulated %d contacts in %s (%.0f contacts/s)\n", rep.Contacts, rep.Wall.Round(1e6), rep.ContactsPerSecond)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
