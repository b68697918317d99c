// tarsgo-push-server: a genuine TarsGo push server (TarsGo's own
// tars/protocol/push package, as its examples/PushServer uses it), to test a
// tars-rs push client against the reference implementation.
//
//	tarsgo-push-server --config=FILE
//
// FILE is an ordinary TarsGo server config whose adapter serves
// App.Server.MessageObj with protocol=not_tars. For each client that calls
// `push` (TarsGo's push.Client.Connect, or any raw call of that name) it
// answers with the request's own bytes, then pushes "msg0", "msg1", "msg2"
// with push.Send, 100 ms apart. On SIGTERM TarsGo stops gracefully, telling
// its push clients "_reconnect_".
//
// stdout has one JSON line per event (TarsGo's own log goes to its log files):
//
//	{"event":"connect","client":"IP:PORT","request":"<bytes as string>"}
//	{"event":"pushed","client":"IP:PORT","data":"msgN"}
//	{"event":"error","client":"IP:PORT","error":"..."}   a push.Send failed
//	{"event":"close","client":"IP:PORT"}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/protocol/push"
	"github.com/TarsCloud/TarsGo/tars/util/current"
)

var outMu sync.Mutex

// emit writes one JSON object per line, in one write.
func emit(fields map[string]string) {
	line, _ := json.Marshal(fields)
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

func client(ctx context.Context) string {
	ip, _ := current.GetClientIPFromContext(ctx)
	port, _ := current.GetClientPortFromContext(ctx)
	return fmt.Sprintf("%s:%s", ip, port)
}

type threePushes struct{}

func (threePushes) OnConnect(ctx context.Context, req []byte) []byte {
	who := client(ctx)
	emit(map[string]string{"event": "connect", "client": who, "request": string(req)})
	go func() {
		for i := 0; i < 3; i++ {
			time.Sleep(100 * time.Millisecond)
			data := fmt.Sprintf("msg%d", i)
			if err := push.Send(ctx, []byte(data)); err != nil {
				emit(map[string]string{"event": "error", "client": who, "error": err.Error()})
				return
			}
			emit(map[string]string{"event": "pushed", "client": who, "data": data})
		}
	}()
	return req
}

func (threePushes) OnClose(ctx context.Context) {
	emit(map[string]string{"event": "close", "client": client(ctx)})
}

func main() {
	cfg := tars.GetServerConfig()
	tars.AddServantWithProtocol(push.NewServer(threePushes{}), cfg.App+"."+cfg.Server+".MessageObj")
	tars.Run()
}
