// Package hangup tells when the peer of a connection nobody reads from has
// closed it. Event streams only write; without it, a desktop that went away
// would be noticed at the next keep-alive write at the earliest.
package hangup

import "net"

// Watcher watches connections for the peer's hangup.
type Watcher interface {
	// Watch calls fn once when the peer of c hangs up; stop ends the watch
	// (call it before closing c).
	Watch(c net.Conn, fn func()) (stop func())
	Close() error
}

// None notices nothing: writes find the hangup instead.
var None Watcher = none{}

type none struct{}

func (none) Watch(net.Conn, func()) func() { return func() {} }
func (none) Close() error                  { return nil }
