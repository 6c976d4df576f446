package queues

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// Unavailable reports whether err means Redis could not serve the request
// (down, frozen, restarting, failing over, out of connections) rather than a
// refusal or a bug: the caller should answer 503 and have the client retry.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var refusal *Error
	if errors.As(err, &refusal) {
		return false
	}
	if errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "BUSY"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// Epoch is the workspace's epoch mark ("" when there is none). The mark
// lives as long as the data: a Redis that lost the data lost it too.
func (s *Store) Epoch(ctx context.Context) (string, error) {
	e, err := s.rdb.Get(ctx, s.keys.epochKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return e, err
}

// SetEpoch sets the epoch mark to id unless one is set, and returns the
// mark in place.
func (s *Store) SetEpoch(ctx context.Context, id string) (string, error) {
	old, err := s.rdb.SetArgs(ctx, s.keys.epochKey(), id, redis.SetArgs{Mode: "NX", Get: true}).Result()
	if errors.Is(err, redis.Nil) {
		return id, nil
	}
	return old, err
}
