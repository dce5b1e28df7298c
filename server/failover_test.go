package server

import "testing"

// replicasRepl is a primary with one connected replica.
type replicasRepl struct{ fakeRepl }

func (replicasRepl) Role() RoleInfo {
	return RoleInfo{Master: true, Replicas: []ReplicaInfo{{IP: "127.0.0.1", Port: 7001}}}
}

// With replicas connected, FAILOVER checks its arguments as Redis does and
// then says the switch-over itself is not implemented.
func TestFailoverWithReplicas(t *testing.T) {
	ts := startServerOpts(t, func(o *Options) { o.Replication = replicasRepl{} })
	rc := ts.rawConn(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"FAILOVER"}, "-" + errFailoverUnsupported + "\r\n"},
		{[]string{"FAILOVER", "TO", "127.0.0.1", "7001"}, "-" + errFailoverUnsupported + "\r\n"},
		{[]string{"FAILOVER", "TO", "127.0.0.1", "7001", "FORCE", "TIMEOUT", "100"}, "-" + errFailoverUnsupported + "\r\n"},
		{[]string{"FAILOVER", "TO", "127.0.0.1", "7002"}, "-ERR FAILOVER target HOST and PORT is not a replica.\r\n"},
		{[]string{"FAILOVER", "FORCE"}, "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"},
		{[]string{"FAILOVER", "TO", "127.0.0.1", "7001", "FORCE"}, "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"},
		{[]string{"FAILOVER", "ABORT"}, "-ERR No failover in progress.\r\n"},
		{[]string{"FAILOVER", "bad"}, "-ERR syntax error\r\n"},
	} {
		if got := rc.do(c.args...); got != c.want {
			t.Errorf("%q: got %q, want %q", c.args, got, c.want)
		}
	}
}
