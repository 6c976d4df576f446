// Package embedded is the zero-setup Redis the service runs on without a
// REDIS_URL: miniredis, in process, taught Redis Functions (FUNCTION LOAD,
// FCALL). A function library is compiled once and its functions run in one
// Lua state that lives as long as the server, as on a real Redis; miniredis's
// own EVAL builds a new Lua state and runs the whole script for each call,
// which made every transition on the embedded default cost a quarter of a
// millisecond before it did anything.
//
// A call holds miniredis's lock from its first command to its last, so no
// other client sees it half done (every transition is atomic). Commands
// the function runs are dispatched to miniredis as a script's are: with the
// connection context miniredis gives a script's commands, which tells them
// the lock is already held.
package embedded

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/alicebob/miniredis/v2"
	luajson "github.com/alicebob/miniredis/v2/gopher-json"
	"github.com/alicebob/miniredis/v2/server"
	lua "github.com/yuin/gopher-lua"
)

// Server is an embedded Redis with Functions.
type Server struct {
	*miniredis.Miniredis
	srv *server.Server
	// nested is the connection context miniredis gives commands a script
	// runs (taken from one script call at start).
	nested any

	// The rest is used under miniredis's lock.
	l         *lua.LState
	libraries map[string][]string // library name -> its functions
	functions map[string]*lua.LFunction
	loading   string // the library being loaded, for register_function
	resp3     bool   // redis.setresp(3) is on for the call under way
	out       bytes.Buffer
	w         *bufio.Writer
	r         *bufio.Reader
	peer      *server.Peer
}

// Start starts an embedded Redis on a free local port.
func Start() (*Server, error) {
	s := &Server{Miniredis: miniredis.NewMiniRedis(), libraries: map[string][]string{}, functions: map[string]*lua.LFunction{}}
	if err := s.Miniredis.Start(); err != nil {
		return nil, err
	}
	s.srv = s.Server()
	for name, f := range map[string]server.Cmd{"SWITCHBOARD.NESTED": s.capture, "FUNCTION": s.function, "FCALL": s.fcall, "FCALL_RO": s.fcall} {
		if err := s.srv.Register(name, f); err != nil {
			s.Close()
			return nil, err
		}
	}
	// One script call that runs the capturing command: its connection
	// context is the one every function call's commands run with.
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	s.srv.Dispatch(server.NewPeer(w), []string{"EVAL", "return redis.call('SWITCHBOARD.NESTED')", "0"})
	_ = w.Flush()
	if s.nested == nil {
		s.Close()
		return nil, fmt.Errorf("embedded redis: no script context (%q)", b.String())
	}
	s.w = bufio.NewWriter(&s.out)
	s.r = bufio.NewReader(&s.out)
	s.peer = server.NewPeer(s.w)
	s.peer.Ctx = s.nested
	s.l = s.newState()
	return s, nil
}

func (s *Server) capture(c *server.Peer, _ string, _ []string) {
	s.nested = c.Ctx
	c.WriteInline("OK")
}

// null is cjson.null: JSON's null where a Lua nil would end a table.
var null = &lua.LUserData{}

// cjson is Redis's cjson as the scripts use it: decode, encode (an empty
// table is an object, as Redis's cjson makes it) and null.
func (s *Server) cjson(l *lua.LState) *lua.LTable {
	t := l.NewTable()
	t.RawSetString("decode", l.NewFunction(func(l *lua.LState) int {
		v, err := luajson.Decode(l, []byte(l.CheckString(1)))
		if err != nil {
			l.RaiseError("%s", err.Error())
		}
		l.Push(v)
		return 1
	}))
	t.RawSetString("encode", l.NewFunction(func(l *lua.LState) int {
		var b []byte
		b, err := appendJSON(b, l.CheckAny(1), 0)
		if err != nil {
			l.RaiseError("%s", err.Error())
		}
		l.Push(lua.LString(b))
		return 1
	}))
	t.RawSetString("null", null)
	return t
}

// appendJSON encodes v as Redis's cjson does: a table with keys 1..n is an
// array, any other (the empty one too) an object; whole numbers without a
// fraction.
func appendJSON(b []byte, v lua.LValue, depth int) ([]byte, error) {
	if depth > 100 {
		return nil, errors.New("Cannot serialise, excessive nesting")
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return append(b, "null"...), nil
	case *lua.LUserData:
		if v == null {
			return append(b, "null"...), nil
		}
	case lua.LBool:
		return strconv.AppendBool(b, bool(v)), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("Cannot serialise number: must not be NaN or Inf")
		}
		if f == math.Trunc(f) && math.Abs(f) < 1e18 {
			return strconv.AppendInt(b, int64(f), 10), nil
		}
		return strconv.AppendFloat(b, f, 'g', 14, 64), nil
	case lua.LString:
		enc, _ := json.Marshal(string(v))
		return append(b, enc...), nil
	case *lua.LTable:
		n, keys := v.MaxN(), 0
		v.ForEach(func(lua.LValue, lua.LValue) { keys++ })
		if n > 0 && n == keys {
			b = append(b, '[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b = append(b, ',')
				}
				var err error
				if b, err = appendJSON(b, v.RawGetInt(i), depth+1); err != nil {
					return nil, err
				}
			}
			return append(b, ']'), nil
		}
		b = append(b, '{')
		first := true
		var err error
		v.ForEach(func(k, e lua.LValue) {
			if err != nil {
				return
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			name, _ := json.Marshal(k.String())
			b = append(append(b, name...), ':')
			b, err = appendJSON(b, e, depth+1)
		})
		if err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("Cannot serialise %s", v.Type())
}

// newState is the Lua state functions run in: Redis's libraries (base,
// table, string, math, cjson) and the redis table.
func (s *Server) newState() *lua.LState {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			panic(err)
		}
	}
	l.SetGlobal("cjson", s.cjson(l))
	r := l.NewTable()
	l.SetFuncs(r, map[string]lua.LGFunction{
		"call":  func(l *lua.LState) int { return s.call(l, false) },
		"pcall": func(l *lua.LState) int { return s.call(l, true) },
		"error_reply": func(l *lua.LState) int {
			t := l.NewTable()
			t.RawSetString("err", lua.LString(l.CheckString(1)))
			l.Push(t)
			return 1
		},
		"status_reply": func(l *lua.LState) int {
			t := l.NewTable()
			t.RawSetString("ok", lua.LString(l.CheckString(1)))
			l.Push(t)
			return 1
		},
		"setresp": func(l *lua.LState) int {
			switch l.CheckInt(1) {
			case 2:
				s.resp3 = false
			case 3:
				s.resp3 = true
			default:
				l.RaiseError("RESP version must be 2 or 3")
			}
			return 0
		},
		"log":               func(*lua.LState) int { return 0 },
		"register_function": s.register,
	})
	for i, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		r.RawSetString(name, lua.LNumber(i))
	}
	l.SetGlobal("redis", r)
	return l
}

// register is redis.register_function(name, callback), while a library loads.
func (s *Server) register(l *lua.LState) int {
	if s.loading == "" {
		l.RaiseError("redis.register_function can only be called while a library loads")
	}
	var name string
	var fn *lua.LFunction
	if t, ok := l.Get(1).(*lua.LTable); ok {
		name = lua.LVAsString(t.RawGetString("function_name"))
		fn, _ = t.RawGetString("callback").(*lua.LFunction)
	} else {
		name, fn = l.CheckString(1), l.CheckFunction(2)
	}
	if name == "" || fn == nil {
		l.RaiseError("register_function needs a name and a callback")
	}
	if _, taken := s.functions[name]; taken {
		l.RaiseError("Function %s already exists", name)
	}
	s.functions[name] = fn
	s.libraries[s.loading] = append(s.libraries[s.loading], name)
	return 0
}

// function is FUNCTION LOAD [REPLACE] code, FUNCTION DELETE name and
// FUNCTION FLUSH.
func (s *Server) function(c *server.Peer, _ string, args []string) {
	if len(args) == 0 {
		c.WriteError("ERR wrong number of arguments for 'function' command")
		return
	}
	s.Lock()
	defer s.Unlock()
	switch strings.ToUpper(args[0]) {
	case "LOAD":
		replace := len(args) == 3 && strings.EqualFold(args[1], "REPLACE")
		if len(args) != 2 && !replace {
			c.WriteError("ERR syntax error")
			return
		}
		name, err := s.load(args[len(args)-1], replace)
		if err != nil {
			c.WriteError("ERR " + err.Error())
			return
		}
		c.WriteBulk(name)
	case "DELETE":
		if len(args) != 2 {
			c.WriteError("ERR syntax error")
			return
		}
		if _, ok := s.libraries[args[1]]; !ok {
			c.WriteError("ERR Library not found")
			return
		}
		s.drop(args[1])
		c.WriteInline("OK")
	case "FLUSH":
		for name := range s.libraries {
			s.drop(name)
		}
		c.WriteInline("OK")
	default:
		c.WriteError("ERR unknown subcommand '" + args[0] + "'")
	}
}

// load compiles a library ("#!lua name=<library>" then its code) and keeps
// its functions; with replace, in place of a library of the same name.
func (s *Server) load(code string, replace bool) (string, error) {
	first, body, _ := strings.Cut(code, "\n")
	name, ok := strings.CutPrefix(strings.TrimSpace(first), "#!lua name=")
	if !ok || name == "" {
		return "", errors.New("Missing library metadata")
	}
	old, exists := s.libraries[name]
	if exists && !replace {
		return "", fmt.Errorf("Library '%s' already exists", name)
	}
	kept := map[string]*lua.LFunction{}
	for _, f := range old {
		kept[f] = s.functions[f]
		delete(s.functions, f)
	}
	delete(s.libraries, name)
	s.loading = name
	err := s.l.DoString("\n" + body) // the shebang line counted, for line numbers
	s.loading = ""
	if err != nil {
		// What the failed code registered goes; the old library stays.
		for _, f := range s.libraries[name] {
			delete(s.functions, f)
		}
		delete(s.libraries, name)
		if exists {
			s.libraries[name] = old
			for f, fn := range kept {
				s.functions[f] = fn
			}
		}
		return "", fmt.Errorf("Error registering functions: %v", err)
	}
	return name, nil
}

func (s *Server) drop(library string) {
	for _, f := range s.libraries[library] {
		delete(s.functions, f)
	}
	delete(s.libraries, library)
}

// fcall is FCALL name numkeys key... arg...: the function runs under the
// lock, its commands dispatched as a script's.
func (s *Server) fcall(c *server.Peer, _ string, args []string) {
	if len(args) < 2 {
		c.WriteError("ERR wrong number of arguments for 'fcall' command")
		return
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 || n > len(args)-2 {
		c.WriteError("ERR Bad number of keys provided")
		return
	}
	s.Lock()
	defer s.Unlock()
	fn, ok := s.functions[args[0]]
	if !ok {
		c.WriteError("ERR Function not found")
		return
	}
	keys, argv := s.l.NewTable(), s.l.NewTable()
	for _, k := range args[2 : 2+n] {
		keys.Append(lua.LString(k))
	}
	for _, a := range args[2+n:] {
		argv.Append(lua.LString(a))
	}
	s.resp3 = false
	if err := s.l.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, keys, argv); err != nil {
		msg := err.Error()
		var le *lua.ApiError
		if errors.As(err, &le) {
			msg = le.Object.String()
		}
		c.WriteError("ERR " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	ret := s.l.Get(-1)
	s.l.Pop(1)
	reply(c, ret)
}

// call is redis.call (protect false: an error ends the function) and
// redis.pcall (an error is returned as {err = ...}).
func (s *Server) call(l *lua.LState, protect bool) int {
	n := l.GetTop()
	if n == 0 {
		l.RaiseError("Please specify at least one argument for this redis lib call")
	}
	args := make([]string, n)
	for i := 1; i <= n; i++ {
		switch v := l.Get(i).(type) {
		case lua.LString:
			args[i-1] = string(v)
		case lua.LNumber:
			args[i-1] = formatNumber(float64(v))
		default:
			l.RaiseError("Lua redis lib command arguments must be strings or integers")
		}
	}
	s.out.Reset()
	s.w.Reset(&s.out)
	s.srv.Dispatch(s.peer, args)
	_ = s.w.Flush()
	s.r.Reset(&s.out)
	res, err := server.ParseReply(s.r)
	if err != nil {
		if !protect {
			l.RaiseError("%s", err.Error())
		}
		t := l.NewTable()
		t.RawSetString("err", lua.LString(err.Error()))
		l.Push(t)
		return 1
	}
	if s.resp3 && strings.EqualFold(args[0], "HGETALL") {
		// A RESP3 map: {map = {field = value, ...}}.
		m := l.NewTable()
		flat, _ := res.([]any)
		for i := 0; i+1 < len(flat); i += 2 {
			if k, ok := flat[i].(string); ok {
				m.RawSetString(k, toLua(l, flat[i+1]))
			}
		}
		t := l.NewTable()
		t.RawSetString("map", m)
		l.Push(t)
		return 1
	}
	l.Push(toLua(l, res))
	return 1
}

// formatNumber is a Lua number as Redis passes it to a command: an integer
// without a fraction, otherwise with 17 significant digits.
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// toLua converts a reply to what a script sees (RESP2): nil is false.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LFalse
	case int:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case server.Simple:
		t := l.NewTable()
		t.RawSetString("ok", lua.LString(string(v)))
		return t
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	default:
		return lua.LString(fmt.Sprint(v))
	}
}

// reply writes a function's result as Redis does: a number as an integer,
// a table with err or ok as an error or status, another table as an array
// (up to its first nil), false and nil as nil.
func reply(c *server.Peer, v lua.LValue) {
	switch v := v.(type) {
	case lua.LString:
		c.WriteBulk(string(v))
	case lua.LNumber:
		c.WriteInt(int(v))
	case lua.LBool:
		if v {
			c.WriteInt(1)
		} else {
			c.WriteNull()
		}
	case *lua.LTable:
		if e := v.RawGetString("err"); e != lua.LNil {
			c.WriteError(lua.LVAsString(e))
			return
		}
		if ok := v.RawGetString("ok"); ok != lua.LNil {
			c.WriteInline(lua.LVAsString(ok))
			return
		}
		var items []lua.LValue
		for i := 1; ; i++ {
			e := v.RawGetInt(i)
			if e == lua.LNil {
				break
			}
			items = append(items, e)
		}
		c.WriteLen(len(items))
		for _, e := range items {
			reply(c, e)
		}
	default:
		c.WriteNull()
	}
}
