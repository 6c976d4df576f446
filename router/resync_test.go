package router_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/internal/redistest"
	"switchboard/queues"
	"switchboard/router"
	"switchboard/workforce"
)

// replicaOf is another replica of rt's workspace with its own configuration.
func replicaOf(t *testing.T, rt *router.App, configure func(*config.Config)) *router.App {
	t.Helper()
	cfg, err := config.Parse(config.Example, nil)
	if err != nil {
		t.Fatal(err)
	}
	configure(cfg)
	cfg.Workspace = rt.Config().Workspace
	return router.New(cfg, queues.New(redistest.Client(t), cfg.Workspace, router.SettingsFrom(cfg)),
		clock.NewManual(rt.Now()), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func planned(i int, skill int) workforce.Agent {
	return workforce.Agent{ID: fmt.Sprintf("a%04d", i), Name: "Agent", TimeZone: "UTC", Languages: []string{"en"},
		Skills: map[string]int{"support": skill}}
}

// A replica starting with a changed configuration rewrites the agents'
// eligibility while planners change and delete agents through another
// replica: none of their changes is reverted, no deleted agent comes back.
// A replica starting with the configuration already applied writes nothing.
func TestResyncNeverRevertsOrRevives(t *testing.T) {
	const n = 2000
	api, _ := newRouterClock(t)
	ctx := context.Background()
	for i := 0; i < n; i += 500 {
		batch := make([]workforce.Agent, 0, 500)
		for j := i; j < i+500; j++ {
			batch = append(batch, planned(j, 2))
		}
		if _, _, err := api.Agents.ImportAgents(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if rs, err := api.Agents.ResyncAgents(ctx); err != nil || rs.Applied != n {
		t.Fatalf("first resync: %+v %v", rs, err)
	}
	if rs, err := api.Agents.ResyncAgents(ctx); err != nil || !rs.Unchanged {
		t.Fatalf("same configuration: %+v %v, want unchanged", rs, err)
	}

	// A new replica: every queue now ranks by skill.
	starting := replicaOf(t, api, func(c *config.Config) {
		for i := range c.Queues {
			c.Queues[i].Strategy = config.MostProficient
		}
	})
	var wg sync.WaitGroup
	var rs router.Resync
	var rerr error
	wg.Go(func() { rs, rerr = starting.Agents.ResyncAgents(ctx) })
	// Meanwhile: every tenth agent gets skill 5, every tenth (others) is deleted.
	for i := 0; i < n; i += 10 {
		if _, _, err := api.Agents.SaveAgent(ctx, planned(i, 5)); err != nil {
			t.Error(err)
		}
		if err := api.Agents.DeleteAgent(ctx, fmt.Sprintf("a%04d", i+5)); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	if rerr != nil {
		t.Fatal(rerr)
	}
	t.Logf("resync: %d rewritten, %d changed meanwhile", rs.Applied, rs.Skipped)
	views, err := api.Agents.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, v := range views {
		got[v.ID] = v.Skills["support"]
	}
	if len(got) != n-n/10 {
		t.Errorf("%d agents, want %d", len(got), n-n/10)
	}
	for i := 0; i < n; i += 10 {
		if s := got[fmt.Sprintf("a%04d", i)]; s != 5 {
			t.Errorf("a%04d has skill %d: the planner's change was reverted", i, s)
		}
		if _, ok := got[fmt.Sprintf("a%04d", i+5)]; ok {
			t.Errorf("a%04d came back after its delete", i+5)
		}
	}
	// And the replica that started afterwards applies nothing.
	later := replicaOf(t, api, func(c *config.Config) {
		for i := range c.Queues {
			c.Queues[i].Strategy = config.MostProficient
		}
	})
	if rs, err := later.Agents.ResyncAgents(ctx); err != nil || !rs.Unchanged {
		t.Fatalf("a replica with the applied configuration: %+v %v", rs, err)
	}
}

// The store's conditional write, step by step: what was read is written
// back only while it is still what is stored.
func TestResyncWritesOnlyWhatItRead(t *testing.T) {
	rt, _ := newRouterClock(t)
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := rt.Agents.SaveAgent(ctx, planned(i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	store := queues.New(redistest.Client(t), rt.Config().Workspace, router.SettingsFrom(rt.Config()))
	read, err := store.ListAgents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// After the read: a0 changes, a1 is deleted, a2 stays.
	if _, _, err := rt.Agents.SaveAgent(ctx, planned(0, 5)); err != nil {
		t.Fatal(err)
	}
	if err := rt.Agents.DeleteAgent(ctx, "a0001"); err != nil {
		t.Fatal(err)
	}
	specs := make([]queues.AgentSpec, len(read))
	for i, st := range read {
		specs[i] = queues.AgentSpec{ID: st.ID, Profile: st.Profile, Expect: st.Profile}
	}
	applied, skipped, err := store.ResyncAgents(ctx, rt.Now(), specs)
	if err != nil || applied != 1 || skipped != 2 {
		t.Fatalf("applied %d skipped %d (%v), want 1 and 2", applied, skipped, err)
	}
	a0, err := rt.Agents.Agent(ctx, "a0000")
	if err != nil || a0.Skills["support"] != 5 {
		t.Fatalf("a0000: %+v %v", a0.Skills, err)
	}
	if _, err := rt.Agents.Agent(ctx, "a0001"); err == nil {
		t.Fatal("a0001 came back")
	}
}
