package queues

import (
	"context"
	"crypto/sha1"
	"embed"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// A script is one state transition: a file in lua/ written against lib.lua.
// Where the server has Redis Functions, every script is a function of one
// library loaded once (FUNCTION LOAD), so a call runs only its own code; the
// embedded Redis, which has none, gets lib.lua prepended to each script for
// EVAL, as before.
type script struct {
	name string
	*redis.Script
}

var scriptNames []string

func luaFile(name string) string {
	b, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return string(b)
}

func load(name string) script {
	scriptNames = append(scriptNames, name)
	return script{name: name, Script: redis.NewScript(luaFile("lib") + "\nbegin(KEYS, ARGV)\n" + body(name))}
}

// body is a script's code as a call runs it: whatever it returns, the
// writes it gathered are made first (lib.lua's done).
func body(name string) string {
	return "return done((function()\n" + luaFile(name) + "\nend)())"
}

// functions is the library of every script. Its name and its functions'
// carry a digest of the code, so that replicas running different versions
// (a rolling deploy) each call their own.
var functions = sync.OnceValue(func() (lib struct{ code, prefix string }) {
	var b strings.Builder
	b.WriteString(luaFile("lib"))
	b.WriteString("\nFUNCTIONS = true\nlocal BODY = {}\n")
	for _, name := range scriptNames {
		// The script's code is made a function once, at load: a closure
		// made per call would cost the capture of every upvalue it uses.
		b.WriteString("\nBODY['" + name + "'] = function()\n" + luaFile(name) + "\nend\n")
		b.WriteString("redis.register_function('@" + name + "', function(KEYS, ARGV)\nbegin(KEYS, ARGV)\nreturn done(BODY['" + name + "']())\nend)\n")
	}
	sum := sha1.Sum([]byte(b.String()))
	digest := hex.EncodeToString(sum[:6])
	lib.prefix = "sb_" + digest + "_"
	lib.code = "#!lua name=switchboard_" + digest + "\n" + strings.ReplaceAll(b.String(), "redis.register_function('@", "redis.register_function('"+lib.prefix)
	return lib
})

// call runs sc with the workspace prefix as its key: FCALL, loading the
// library when the server does not have it yet (a new server, a restart
// without persistence, a failover to a node that lacks it), or EVALSHA
// where the server has no Functions.
func (s *core) call(ctx context.Context, sc script, args ...any) *redis.Cmd {
	keys := []string{string(s.keys)}
	if !s.evalOnly.Load() {
		lib := functions()
		cmd := s.rdb.FCall(ctx, lib.prefix+sc.name, keys, args...)
		err := cmd.Err()
		switch {
		case err == nil || !isServerError(err):
			return cmd
		case strings.Contains(err.Error(), "Function not found"):
			if err = s.loadFunctions(ctx, lib.code); err == nil {
				return s.rdb.FCall(ctx, lib.prefix+sc.name, keys, args...)
			}
			if !unknownCommand(err) {
				cmd.SetErr(err)
				return cmd
			}
			s.evalOnly.Store(true)
		case unknownCommand(err):
			s.evalOnly.Store(true)
		default:
			return cmd
		}
	}
	return sc.Run(ctx, s.rdb, keys, args...)
}

// loadFunctions loads the library on the server that holds the workspace
// (in a Cluster, the master of its slot).
func (s *core) loadFunctions(ctx context.Context, code string) error {
	var c redis.Cmdable = s.rdb
	if cl, ok := s.rdb.(*redis.ClusterClient); ok {
		m, err := cl.MasterForKey(ctx, string(s.keys))
		if err != nil {
			return err
		}
		c = m
	}
	return c.FunctionLoadReplace(ctx, code).Err()
}

func isServerError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

func unknownCommand(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "unknown command")
}
