package queues_test

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"switchboard/queues"
)

// The embedded Redis (the zero-setup default) does not count the entries a
// stream has had: resuming from the start of a stream that never reached
// its length loses nothing; once it has, a position older than what is kept
// is reported lost.
func TestHistoryOnTheEmbeddedRedis(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	st := queues.New(rdb, "embedded", queues.Settings{MaxMissedOffers: 3, AgentStreamLength: 10, EventsLength: 1000})
	if _, _, err := st.UpsertAgent(ctx, t0, queues.AgentSpec{ID: "ana", Profile: []byte(`{}`), Capacity: map[string]int{"chat": 1}}); err != nil {
		t.Fatal(err)
	}
	toggle := func(n int) {
		for range n {
			if _, err := st.SetPresence(ctx, t0, "ana", queues.Away, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	toggle(7)
	msgs, lost, err := st.Streams().AgentHistory(ctx, "ana", "0", 100)
	if err != nil || lost || len(msgs) != 7 {
		t.Fatalf("7 entries from 0: %d, lost %v, %v", len(msgs), lost, err)
	}
	toggle(20)
	msgs, lost, err = st.Streams().AgentHistory(ctx, "ana", "0", 100)
	if err != nil || !lost {
		t.Fatalf("27 entries kept to 10, from 0: %d, lost %v, %v", len(msgs), lost, err)
	}
	if msgs, lost, err = st.Streams().AgentHistory(ctx, "ana", msgs[len(msgs)-2].ID, 100); err != nil || lost || len(msgs) != 1 {
		t.Fatalf("from the second newest: %d, lost %v, %v", len(msgs), lost, err)
	}
}
