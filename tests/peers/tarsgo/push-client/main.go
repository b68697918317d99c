// tarsgo-push-client: a genuine TarsGo push client (TarsGo's own
// tars/protocol/push package), used to test a tars-rs push server against the
// reference implementation.
//
//	tarsgo-push-client -obj "TestApp.PushServer.MessageObj@tcp -h 127.0.0.1 -p PORT -t 60000" \
//	    -req hello -count 3 -timeout 10s
//
// It does exactly what a TarsGo user does:
//
//	client := push.NewClient(callback)
//	tars.GetCommunicator().StringToProxy(obj, client)
//	reply, err := client.Connect(req)
//
// and prints one JSON line per event on stdout (nothing else goes to stdout;
// TarsGo's own log is sent to stderr):
//
//	{"event":"connected","reply":"<reply as string>"}          after Connect returns
//	{"event":"push","data":"<payload as string>","hex":"<hex>"} per push (callback)
//	{"event":"error","error":"..."}                             Connect failed
//	{"event":"reconnect"}                                       -reconnect: TarsGo got "_reconnect_"
//	{"event":"timeout","error":"..."}                           -timeout elapsed (exit 1)
//
// Exit 0 once -count pushes have been received; exit 1 on a Connect error
// (without -reconnect) or when -timeout elapses first; exit 2 on bad flags.
//
// -reconnect: after the first -count pushes, keep running until TarsGo's
// adapter receives the server's "_reconnect_" packet (iRequestId 0,
// sResultDesc "_reconnect_", sent by a gracefully stopping server). TarsGo
// then swaps in a new, not yet connected transport and tells the user nothing
// except its own INFO log line "reconnect HOST:PORT"; this program watches
// TarsGo's log for that line, prints {"event":"reconnect"}, calls Connect
// again (retrying every 200 ms, an error line per failure, until -timeout) and
// exits 0 after -count more pushes.
//
// -idle-timeout MS: TarsGo's push client sends a one-way "tars_ping" every
// clientidletimeout/2 (default 600000 ms, i.e. every 300 s). This flag writes,
// loads and deletes a temporary TarsGo config with
// <client> clientidletimeout=MS so the keep-alive can be seen in a short run.
// -config FILE loads FILE as TarsGo's config instead (tars.ServerConfigPath).
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/protocol/push"
	"github.com/TarsCloud/TarsGo/tars/util/rogger"
)

var outMu sync.Mutex

// q returns s as a JSON string (no HTML escaping).
func q(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// emit writes one JSON line to stdout in a single write (os.Stdout is unbuffered).
func emit(fields ...string) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(fields); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(q(fields[i]))
		b.WriteByte(':')
		b.WriteString(q(fields[i+1]))
	}
	b.WriteString("}\n")
	outMu.Lock()
	_, _ = os.Stdout.Write(b.Bytes())
	outMu.Unlock()
}

// TarsGo logs "reconnect HOST:PORT" (adapter.go onPush) when it receives "_reconnect_".
var reconnectLine = regexp.MustCompile(`(^|\|)reconnect \S+:\d+\s*$`)

// stderrLog is TarsGo's log writer: everything to stderr, and a signal when
// TarsGo reports the server's "_reconnect_".
type stderrLog struct {
	onReconnect func()
}

func (w *stderrLog) Write(v []byte) {
	_, _ = os.Stderr.Write(v)
	if w.onReconnect != nil {
		for _, line := range bytes.Split(v, []byte{'\n'}) {
			if reconnectLine.Match(line) {
				w.onReconnect()
			}
		}
	}
}

func (w *stderrLog) NeedPrefix() bool { return true }

type state struct {
	mu       sync.Mutex
	phase    int // 0: first connection; 1: waiting for _reconnect_; 2: after the reconnect
	received int // pushes received in the current phase
	count    int
	again    bool // -reconnect
	done     chan struct{}
	reconn   chan struct{}
	closed   bool
}

func (s *state) finish() {
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

func (s *state) onPush(data []byte) {
	emit("event", "push", "data", string(data), "hex", hex.EncodeToString(data))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase == 1 {
		return // between the first -count pushes and the reconnect: printed, not counted
	}
	s.received++
	if s.received >= s.count {
		if s.phase == 0 && s.again {
			s.phase = 1
			return
		}
		s.finish()
	}
}

func (s *state) onReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase == 2 {
		return
	}
	// also when "_reconnect_" comes before the first -count pushes: count from zero after it
	s.phase = 2
	s.received = 0
	select {
	case s.reconn <- struct{}{}:
	default:
	}
}

func writeTempConfig(idleMs int) (string, error) {
	f, err := os.CreateTemp("", "tarsgo-push-client-*.conf")
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("<tars>\n  <application>\n    <server>\n      logLevel=ERROR\n    </server>\n"+
		"    <client>\n      clientidletimeout=%d\n    </client>\n  </application>\n</tars>\n", idleMs)
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

func main() {
	obj := flag.String("obj", "", `push servant with endpoint, e.g. "TestApp.PushServer.MessageObj@tcp -h 127.0.0.1 -p PORT -t 60000"`)
	req := flag.String("req", "hello", "bytes sent to Connect (the request's sBuffer)")
	count := flag.Int("count", 1, "exit 0 after this many pushes")
	timeout := flag.Duration("timeout", 10*time.Second, "exit 1 if not done by then")
	again := flag.Bool("reconnect", false, "after -count pushes, wait for the server's _reconnect_, Connect again, expect -count more pushes")
	cfgFile := flag.String("config", "", "TarsGo config file (tars.ServerConfigPath)")
	idleMs := flag.Int("idle-timeout", 0, "ms; temporary TarsGo config with <client> clientidletimeout=MS (tars_ping every MS/2)")
	flag.Parse()
	if *obj == "" || *count < 1 || flag.NArg() != 0 || (*cfgFile != "" && *idleMs > 0) {
		fmt.Fprintln(os.Stderr, "usage: tarsgo-push-client -obj \"OBJ@tcp -h H -p P -t 60000\" [-req hello] [-count N] [-timeout 10s] [-reconnect] [-idle-timeout MS | -config FILE]")
		os.Exit(2)
	}

	st := &state{count: *count, again: *again, done: make(chan struct{}), reconn: make(chan struct{}, 1)}

	// TarsGo's log goes to stderr (its console writer would use stdout). The
	// "reconnect" line is INFO, so -reconnect raises the level to INFO.
	logw := &stderrLog{}
	if *again {
		logw.onReconnect = st.onReconnect
	}
	tars.TLOG.SetWriter(logw)

	if *idleMs > 0 {
		path, err := writeTempConfig(*idleMs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tarsgo-push-client: temp config:", err)
			os.Exit(1)
		}
		*cfgFile = path
		defer os.Remove(path)
	}
	var comm *tars.Communicator
	if *cfgFile != "" {
		tars.ServerConfigPath = *cfgFile
		comm = tars.GetCommunicator()
		if tars.GetConf() == nil {
			fmt.Fprintln(os.Stderr, "tarsgo-push-client: TarsGo could not load config", *cfgFile)
			os.Exit(1)
		}
		if *idleMs > 0 {
			os.Remove(*cfgFile)
		}
	} else {
		// TarsGo parses os.Args for -config itself; hide our flags from it.
		args := os.Args
		os.Args = args[:1]
		comm = tars.GetCommunicator()
		os.Args = args
	}
	if *again {
		rogger.SetLevel(rogger.INFO)
	}

	time.AfterFunc(*timeout, func() {
		st.mu.Lock()
		msg := fmt.Sprintf("timeout after %v: phase %d, %d of %d pushes", *timeout, st.phase, st.received, st.count)
		st.mu.Unlock()
		emit("event", "timeout", "error", msg)
		os.Exit(1)
	})

	client := push.NewClient(st.onPush)
	comm.StringToProxy(*obj, client)

	reply, err := client.Connect([]byte(*req))
	if err != nil {
		emit("event", "error", "error", err.Error())
		os.Exit(1)
	}
	emit("event", "connected", "reply", string(reply))

	if *again {
		select {
		case <-st.reconn:
		case <-st.done: // cannot happen with -reconnect before phase 2
		}
		emit("event", "reconnect")
		for {
			reply, err := client.Connect([]byte(*req))
			if err == nil {
				emit("event", "connected", "reply", string(reply))
				break
			}
			emit("event", "error", "error", err.Error())
			time.Sleep(200 * time.Millisecond)
		}
	}
	<-st.done
	os.Exit(0)
}
