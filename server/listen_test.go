package server

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// CONFIG SET port and CONFIG SET bind move the listening sockets while the
// server runs, as in Redis: clients connected stay, new ones connect at
// the new address; a port or address that cannot be opened changes
// nothing and gets Redis's error.
func TestConfigSetPortAndBind(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if r := rc.do("CONFIG", "SET", "port", strconv.Itoa(port)); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET port: %q", r)
	}
	if r := rc.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("the connected client after the move: %q", r)
	}
	newAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c2, err := net.DialTimeout("tcp", newAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("connecting to the new port: %v", err)
	}
	c2.Close()
	if c, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the old port %s still accepts", ts.addr)
	}
	if r := rc.val("CONFIG", "GET", "port").elems; len(r) != 2 || r[1].str != strconv.Itoa(port) {
		t.Errorf("CONFIG GET port: %v", r)
	}

	// a port in use
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port: Address already in use\r\n"
	if r := rc.do("CONFIG", "SET", "port", busyPort); r != want {
		t.Errorf("CONFIG SET port in use: %q", r)
	}
	if r := rc.val("CONFIG", "GET", "port").elems; len(r) != 2 || r[1].str != strconv.Itoa(port) {
		t.Errorf("CONFIG GET port after the failure: %v", r)
	}
	// an address that cannot be bound
	want = "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n"
	if r := rc.do("CONFIG", "SET", "bind", "999.999.999.999"); r != want {
		t.Errorf("CONFIG SET bind 999.999.999.999: %q", r)
	}
	c3, err := net.DialTimeout("tcp", newAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("still listening after the failures: %v", err)
	}
	c3.Close()
	if r := rc.val("CONFIG", "GET", "bind").elems; len(r) != 2 || r[1].str != "127.0.0.1" {
		t.Errorf("CONFIG GET bind: %v", r)
	}
}
