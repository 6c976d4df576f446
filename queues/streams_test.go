package queues_test

import (
	"testing"
	"time"

	"switchboard/queues"
)

// Desktops and replica leases: an agent whose desktop replica stopped
// renewing goes away once another replica renews past that lease; an agent
// still connected through a live replica stays; closing the last desktop
// starts the grace period, and reopening it calls the disconnect off.
func TestDesktopLeases(t *testing.T) {
	f := newFixture(t)
	grace := 30 * time.Second
	for _, id := range []string{"ana", "bruno", "carla"} {
		f.agent(id, map[string]int{"chat": 1}, el("support-en", 3))
		f.presence(id, queues.Available)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fire := func() queues.Fired {
		t.Helper()
		fd, err := f.store.FireTimers(f.ctx, f.now, 100)
		must(err)
		return fd
	}
	must(f.store.Streams().OpenDesktops(f.ctx, f.now, "r1", grace, []string{"ana", "bruno"}))
	must(f.store.Streams().OpenDesktops(f.ctx, f.now, "r2", grace, []string{"bruno", "carla"}))

	// r1 stops; r2 renews. Within r1's lease nothing happens.
	f.advance(grace - time.Second)
	must(f.store.Streams().RenewDesktops(f.ctx, f.now, "r2", grace))
	if fd := fire(); fd.Disconnects != 0 {
		t.Fatalf("within the lease: %+v", fd)
	}
	f.advance(2 * time.Second)
	must(f.store.Streams().RenewDesktops(f.ctx, f.now, "r2", grace))
	if fd := fire(); fd.Disconnects != 1 {
		t.Fatalf("after r1's lease: %+v", fd)
	}
	if a := f.getAgent("ana"); a.Presence != queues.Away || a.Reason != "disconnected" {
		t.Fatalf("ana: %+v", a)
	}
	if b := f.getAgent("bruno"); b.Presence != queues.Available {
		t.Fatalf("bruno, still on r2: %+v", b)
	}

	// carla's desktop closes on r2 and reopens within the grace period.
	must(f.store.Streams().CloseDesktops(f.ctx, f.now, "r2", grace, []string{"carla"}))
	f.advance(grace / 2)
	must(f.store.Streams().OpenDesktops(f.ctx, f.now, "r2", grace, []string{"carla"}))
	f.advance(grace)
	must(f.store.Streams().RenewDesktops(f.ctx, f.now, "r2", grace))
	if fd := fire(); fd.Disconnects != 0 {
		t.Fatalf("carla reconnected in time: %+v", fd)
	}
	// bruno's closes for good.
	must(f.store.Streams().CloseDesktops(f.ctx, f.now, "r2", grace, []string{"bruno"}))
	f.advance(grace)
	if fd := fire(); fd.Disconnects != 1 || f.getAgent("bruno").Presence != queues.Away {
		t.Fatalf("bruno after his grace period: %+v %+v", fd, f.getAgent("bruno"))
	}
}
