package server

// Cluster mode (cluster-enabled yes): fastcache answers as a Redis Cluster
// of one node that serves all 16384 hash slots, so the cluster clients of
// every driver (go-redis's ClusterClient, ioredis's Cluster, Jedis's
// JedisCluster, redis-py's RedisCluster, redis-cli -c) connect to it
// unchanged. Within that, the rules are Redis Cluster's: the keys of one
// command, of one transaction and of one script (unless it may cross
// slots) hash to one slot or the command fails with -CROSSSLOT; only
// database 0 exists (SELECT, MOVE, SWAPDB and COPY ... DB refused); no
// REPLICAOF. There is no cluster bus: commands that would change the
// topology (MEET, DELSLOTS, SETSLOT, ...) answer that this cluster has one
// node. The node's ID and epochs persist in cluster-config-file (Redis's
// nodes.conf format) in the data directory.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"fastcache/cache"
)

// redisMode is INFO's redis_mode and HELLO's mode.
func (s *Server) redisMode() string {
	if s.cluster != nil {
		return "cluster"
	}
	return "standalone"
}

// clusterSlots is the number of hash slots of Redis Cluster.
const clusterSlots = 16384

const errCrossSlot = "CROSSSLOT Keys in request don't hash to the same slot"

// clusterState is the one node's identity.
type clusterState struct {
	mu           sync.Mutex
	id           string // 40 hex digits
	currentEpoch uint64
	myEpoch      uint64
	path         string // the cluster-config-file
}

// LoadClusterConfig turns cluster mode on when cluster-enabled is yes: the
// node's ID comes from cluster-config-file in the data directory, which is
// written with a new ID if it does not exist.
func (s *Server) LoadClusterConfig() error {
	if s.cfg == nil || !s.cfg.ParamYes("cluster-enabled") {
		return nil
	}
	if s.cfg.ReplicaOf() != "" {
		return errors.New("replicaof directive not allowed in cluster mode")
	}
	name := s.cfg.Param("cluster-config-file")
	if name == "" {
		name = "nodes.conf"
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(s.cfg.Dir(), name)
	}
	cs := &clusterState{path: name}
	b, err := os.ReadFile(name)
	switch {
	case err == nil:
		if err := cs.parse(string(b)); err != nil {
			return fmt.Errorf("cluster-config-file %s: %w", name, err)
		}
	case errors.Is(err, os.ErrNotExist):
		var id [20]byte
		rand.Read(id[:])
		cs.id = hex.EncodeToString(id[:])
		if err := cs.save(s); err != nil {
			return err
		}
		s.log.Info().Str("node_id", cs.id).Str("file", name).Msg("cluster mode: a new node ID")
	default:
		return err
	}
	s.cluster = cs
	return nil
}

// parse reads the myself line and the vars line of a nodes.conf.
func (cs *clusterState) parse(text string) error {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 8 && strings.Contains(","+f[2]+",", ",myself,"):
			if len(f[0]) != 40 {
				return fmt.Errorf("bad node ID %q", f[0])
			}
			if _, err := hex.DecodeString(f[0]); err != nil {
				return fmt.Errorf("bad node ID %q", f[0])
			}
			cs.id = f[0]
			cs.myEpoch, _ = strconv.ParseUint(f[6], 10, 64)
		case len(f) >= 3 && f[0] == "vars":
			for i := 1; i+1 < len(f); i += 2 {
				if f[i] == "currentEpoch" {
					cs.currentEpoch, _ = strconv.ParseUint(f[i+1], 10, 64)
				}
			}
		}
	}
	if cs.id == "" {
		return errors.New("no line for this node (myself)")
	}
	return nil
}

// save writes the cluster-config-file (cs.mu held or cs not shared yet).
func (cs *clusterState) save(s *Server) error {
	text := s.clusterNodeLine(cs, nil) + fmt.Sprintf("vars currentEpoch %d lastVoteEpoch 0\n", cs.currentEpoch)
	tmp := cs.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, cs.path)
}

// crc16tab is CRC16-CCITT (XMODEM), the hash of Redis Cluster's slots.
var crc16tab = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return
}()

// keyHashSlot is the slot of key: the CRC16 of the key, or of its hash tag
// (what is between the first '{' and the first '}' after it, if not empty).
func keyHashSlot(key []byte) int {
	for i, b := range key {
		if b == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					break
				}
			}
			break
		}
	}
	var crc uint16
	for _, b := range key {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^b]
	}
	return int(crc) & (clusterSlots - 1)
}

// slotCheck is Redis's getNodeByQuery for one node, over the keys of one
// or several calls (a transaction's): whether they hash to one slot.
// first is the first key seen (nil: none yet) and slot its slot, computed
// only once a second, different key comes (-1: not yet): a command of one
// key costs no hash. pos is scratch for the key positions of commands
// whose keys depend on their arguments (kept across calls: no allocation).
type slotCheck struct {
	first []byte
	slot  int
	pos   []int
}

// add takes the keys of one call (and the channels of the shard pub/sub
// commands, which Redis Cluster routes as keys); false if a key is of
// another slot than those before.
func (sc *slotCheck) add(cmd *Command, args [][]byte) bool {
	switch {
	case cmd.Name == "spublish":
		return len(args) < 2 || sc.key(args[1])
	case cmd.Name == "ssubscribe" || cmd.Name == "sunsubscribe":
		for _, k := range args[1:] {
			if !sc.key(k) {
				return false
			}
		}
		return true
	case cmd.KeyFn == nil:
		first, last, step := cmd.keyRange(len(args))
		for i := first; first > 0 && i <= last && i < len(args); i += step {
			if !sc.key(args[i]) {
				return false
			}
		}
		return true
	}
	sc.pos = cmd.KeyFn(args, sc.pos[:0])
	for _, p := range sc.pos {
		if !sc.key(args[p]) {
			return false
		}
	}
	return true
}

func (sc *slotCheck) key(k []byte) bool {
	switch {
	case sc.first == nil:
		sc.first = k
	case string(k) == string(sc.first):
	default:
		if sc.slot < 0 {
			sc.slot = keyHashSlot(sc.first)
		}
		return keyHashSlot(k) == sc.slot
	}
	return true
}

// clusterCheck is processCommand's cluster step for c's command: false if
// it was refused (-CROSSSLOT). It keeps the first key (c.slotKey) and its
// slot if known (c.slot), the slot a script's commands must stay in.
func (c *Client) clusterCheck(cmd *Command, args [][]byte) bool {
	c.slotKey, c.slot = nil, -1
	sc := &c.slotChk
	sc.first, sc.slot = nil, -1
	if cmd.Name == "exec" {
		if !c.multi {
			return true
		}
		ok := true
		for _, q := range c.queued {
			if ok = sc.add(q.cmd, q.args); !ok {
				break
			}
		}
		if ok {
			c.slotKey, c.slot = sc.first, sc.slot
			return true
		}
		cmd.rejected.Add(1)
		c.discardMulti()
		c.unwatchAll()
		c.reply.Error(errCrossSlot)
		return false
	}
	if sc.add(cmd, args) {
		c.slotKey, c.slot = sc.first, sc.slot
		return true
	}
	c.reject(cmd, errCrossSlot)
	return false
}

// clusterScriptCheck is Redis's scriptVerifyClusterState: a script's
// command whose keys cross slots, or (unless the script may cross slots)
// that leave the slot of the script's keys (declared, or the first it
// touched).
func (r *scriptRun) clusterScriptCheck(cl *Client, cmd *Command, args [][]byte) string {
	sc := &cl.slotChk // (the engine's client: the caller's check is done)
	sc.first, sc.slot = nil, -1
	if !sc.add(cmd, args) {
		return "Script attempted to access a non local key in a cluster node"
	}
	if sc.first == nil || r.call.flags&(sfCompat|sfAllowCrossSlot) != 0 {
		return ""
	}
	slot := sc.slot
	if slot < 0 {
		slot = keyHashSlot(sc.first)
	}
	c := r.caller
	if c.slot < 0 && c.slotKey != nil {
		c.slot = keyHashSlot(c.slotKey)
	}
	if c.slot < 0 {
		c.slot = slot
	} else if c.slot != slot {
		return "Script attempted to access keys that do not hash to the same slot"
	}
	return ""
}

// clusterAddr is the address this node gives of itself to c: the announced
// IP, or the local address c reached it on; the port clients use over c's
// transport, and the bus port.
func (s *Server) clusterAddr(c *Client) (ip string, port, cport int) {
	ip = s.cfg.Param("cluster-announce-ip")
	if ip == "" && c != nil && !c.unixSock {
		if h, _, err := net.SplitHostPort(c.Laddr); err == nil {
			ip = h
		}
	}
	port = s.cfg.Port()
	if c != nil && c.overTLS {
		port = int(s.cfg.ParamInt("tls-port"))
		if p := s.cfg.ParamInt("cluster-announce-tls-port"); p > 0 {
			port = int(p)
		}
	} else if p := s.cfg.ParamInt("cluster-announce-port"); p > 0 {
		port = int(p)
	}
	if port == 0 && c != nil && !c.unixSock {
		// port 0: the one the OS picked, which c reached
		if _, p, err := net.SplitHostPort(c.Laddr); err == nil {
			port, _ = strconv.Atoi(p)
		}
	}
	cport = int(s.cfg.ParamInt("cluster-announce-bus-port"))
	if cport == 0 {
		cport = int(s.cfg.ParamInt("cluster-port"))
	}
	if cport == 0 {
		cport = port + 10000
	}
	return ip, port, cport
}

// clusterNodeLine is this node's line of CLUSTER NODES and nodes.conf.
func (s *Server) clusterNodeLine(cs *clusterState, c *Client) string {
	ip, port, cport := s.clusterAddr(c)
	addr := fmt.Sprintf("%s:%d@%d", ip, port, cport)
	if h := s.cfg.Param("cluster-announce-hostname"); h != "" {
		addr += "," + h
	}
	return fmt.Sprintf("%s %s myself,master - 0 0 %d connected 0-%d\n", cs.id, addr, cs.myEpoch, clusterSlots-1)
}

// clusterKeysInSlot walks database 0 for the keys of slot, up to max (-1:
// all); n is how many there are.
func (s *Server) clusterKeysInSlot(ks cache.Keyspace, slot int, max int64) (keys [][]byte, n int64) {
	ks.WithDB(0).EachKey(func(k []byte) {
		if keyHashSlot(k) != slot {
			return
		}
		n++
		if max < 0 || int64(len(keys)) < max {
			keys = append(keys, append([]byte(nil), k...))
		}
	})
	return keys, n
}

// ---- CLUSTER subcommands in cluster mode ----

// clusterSubs are the handlers of the CLUSTER subcommands in cluster mode
// (without it, every one answers that cluster support is disabled).
var clusterSubs = map[string]func(c *Client, cs *clusterState, args [][]byte){
	"info":            clusterInfo,
	"myid":            func(c *Client, cs *clusterState, _ [][]byte) { c.reply.BulkString(cs.id) },
	"nodes":           func(c *Client, cs *clusterState, _ [][]byte) { c.reply.Verbatim("txt", c.srv.clusterNodes(cs, c)) },
	"slots":           clusterSlotsReply,
	"shards":          clusterShards,
	"keyslot":         func(c *Client, _ *clusterState, args [][]byte) { c.reply.Int(int64(keyHashSlot(args[2]))) },
	"countkeysinslot": clusterCountKeys,
	"getkeysinslot":   clusterGetKeys,
	"links":           func(c *Client, _ *clusterState, _ [][]byte) { c.reply.Array(0) },
	"count-failure-reports": func(c *Client, cs *clusterState, args [][]byte) {
		clusterOnNode(c, cs, args[2], func() { c.reply.Int(0) })
	},
	"replicas": func(c *Client, cs *clusterState, args [][]byte) {
		clusterOnNode(c, cs, args[2], func() { c.reply.Array(0) })
	},
	"slaves": func(c *Client, cs *clusterState, args [][]byte) {
		clusterOnNode(c, cs, args[2], func() { c.reply.Array(0) })
	},
	"forget": func(c *Client, cs *clusterState, args [][]byte) {
		clusterOnNode(c, cs, args[2], func() { c.reply.Error("ERR I tried hard but I can't forget myself...") })
	},
	"replicate": func(c *Client, cs *clusterState, args [][]byte) {
		clusterOnNode(c, cs, args[2], func() { c.reply.Error("ERR Can't replicate myself") })
	},
	"failover":         clusterFailover,
	"addslots":         func(c *Client, _ *clusterState, args [][]byte) { clusterSlotArgs(c, args, false, true) },
	"addslotsrange":    func(c *Client, _ *clusterState, args [][]byte) { clusterSlotArgs(c, args, true, true) },
	"delslots":         func(c *Client, _ *clusterState, args [][]byte) { clusterSlotArgs(c, args, false, false) },
	"delslotsrange":    func(c *Client, _ *clusterState, args [][]byte) { clusterSlotArgs(c, args, true, false) },
	"flushslots":       clusterFlushSlots,
	"setslot":          clusterSetSlot,
	"meet":             clusterMeet,
	"reset":            clusterReset,
	"saveconfig":       clusterSaveConfig,
	"bumpepoch":        clusterBumpEpoch,
	"set-config-epoch": clusterSetConfigEpoch,
	"help":             func(c *Client, _ *clusterState, _ [][]byte) { replyHelp(c, "cluster", clusterHelp) },
}

// errOneNode answers a CLUSTER subcommand that would change the topology.
func errOneNode(c *Client, sub string) {
	c.reply.Error("ERR fastcache's cluster mode is one node serving every slot: CLUSTER " + strings.ToUpper(sub) + " is not supported")
}

func clusterInfo(c *Client, cs *clusterState, _ [][]byte) {
	cs.mu.Lock()
	cur, my := cs.currentEpoch, cs.myEpoch
	cs.mu.Unlock()
	var b strings.Builder
	for _, kv := range []struct {
		k string
		v any
	}{
		{"cluster_state", "ok"}, {"cluster_slots_assigned", clusterSlots}, {"cluster_slots_ok", clusterSlots},
		{"cluster_slots_pfail", 0}, {"cluster_slots_fail", 0}, {"cluster_known_nodes", 1}, {"cluster_size", 1},
		{"cluster_current_epoch", cur}, {"cluster_my_epoch", my},
		{"cluster_stats_messages_sent", 0}, {"cluster_stats_messages_received", 0},
		{"total_cluster_links_buffer_limit_exceeded", 0},
	} {
		fmt.Fprintf(&b, "%s:%v\r\n", kv.k, kv.v)
	}
	c.reply.Verbatim("txt", b.String())
}

func (s *Server) clusterNodes(cs *clusterState, c *Client) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return s.clusterNodeLine(cs, c)
}

// clusterSlotsReply is CLUSTER SLOTS: one range, this node.
func clusterSlotsReply(c *Client, cs *clusterState, _ [][]byte) {
	ip, port, _ := c.srv.clusterAddr(c)
	r := &c.reply
	r.Array(1)
	r.Array(3)
	r.Int(0)
	r.Int(clusterSlots - 1)
	r.Array(4)
	r.BulkString(ip)
	r.Int(int64(port))
	r.BulkString(cs.id)
	if h := c.srv.cfg.Param("cluster-announce-hostname"); h != "" {
		r.Map(1)
		r.BulkString("hostname")
		r.BulkString(h)
	} else {
		r.Map(0)
	}
}

// clusterShards is CLUSTER SHARDS: one shard, this node.
func clusterShards(c *Client, cs *clusterState, _ [][]byte) {
	ip, port, _ := c.srv.clusterAddr(c)
	host := c.srv.cfg.Param("cluster-announce-hostname")
	var off int64
	if rp := c.srv.opts.Replication; rp != nil {
		off = rp.Role().Offset
	}
	r := &c.reply
	r.Array(1)
	r.Map(2)
	r.BulkString("slots")
	r.Array(2)
	r.Int(0)
	r.Int(clusterSlots - 1)
	r.BulkString("nodes")
	r.Array(1)
	n := 7
	if host != "" {
		n++
	}
	r.Map(n)
	r.BulkString("id")
	r.BulkString(cs.id)
	r.BulkString("port")
	r.Int(int64(port))
	r.BulkString("ip")
	r.BulkString(ip)
	r.BulkString("endpoint")
	r.BulkString(ip)
	if host != "" {
		r.BulkString("hostname")
		r.BulkString(host)
	}
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("replication-offset")
	r.Int(off)
	r.BulkString("health")
	r.BulkString("online")
}

func clusterCountKeys(c *Client, _ *clusterState, args [][]byte) {
	slot, ok := parseInt64(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if slot < 0 || slot >= clusterSlots {
		c.reply.Error("ERR Invalid slot")
		return
	}
	_, n := c.srv.clusterKeysInSlot(c.ks, int(slot), 0)
	c.reply.Int(n)
}

func clusterGetKeys(c *Client, _ *clusterState, args [][]byte) {
	slot, ok1 := parseInt64(args[2])
	max, ok2 := parseInt64(args[3])
	if !ok1 || !ok2 {
		c.reply.Error(errNotInt)
		return
	}
	if slot < 0 || slot >= clusterSlots || max < 0 {
		c.reply.Error("ERR Invalid slot or number of keys")
		return
	}
	keys, _ := c.srv.clusterKeysInSlot(c.ks, int(slot), max)
	c.reply.Array(len(keys))
	for _, k := range keys {
		c.reply.Bulk(k)
	}
}

// clusterOnNode runs mine if id is this node's ID, else answers that the
// node is unknown (the only node this cluster knows is itself).
func clusterOnNode(c *Client, cs *clusterState, id []byte, mine func()) {
	if string(id) != cs.id {
		c.reply.Error("ERR Unknown node " + string(id))
		return
	}
	mine()
}

func clusterFailover(c *Client, _ *clusterState, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP.")
		return
	}
	if len(args) == 3 && !eqFold(args[2], "force") && !eqFold(args[2], "takeover") {
		c.reply.Error(errSyntax)
		return
	}
	c.reply.Error("ERR You should send CLUSTER FAILOVER to a replica")
}

// clusterSlotArgs is ADDSLOTS, ADDSLOTSRANGE, DELSLOTS and DELSLOTSRANGE:
// their arguments checked as Redis checks them; every slot is this node's
// already.
func clusterSlotArgs(c *Client, args [][]byte, ranges, add bool) {
	slot := func(b []byte) (int64, bool) {
		n, ok := parseInt64(b)
		if !ok || n < 0 || n >= clusterSlots {
			c.reply.Error("ERR Invalid or out of range slot")
			return 0, false
		}
		return n, true
	}
	var slots []int64
	if ranges {
		if len(args)%2 == 1 {
			c.reply.Error(errWrongArgs("cluster|" + strings.ToLower(string(args[1]))))
			return
		}
		for i := 2; i+1 < len(args); i += 2 {
			from, ok := slot(args[i])
			if !ok {
				return
			}
			to, ok := slot(args[i+1])
			if !ok {
				return
			}
			if from > to {
				c.reply.Error(fmt.Sprintf("ERR start slot number %d is greater than end slot number %d", from, to))
				return
			}
			slots = append(slots, from)
		}
	} else {
		for _, a := range args[2:] {
			n, ok := slot(a)
			if !ok {
				return
			}
			slots = append(slots, n)
		}
	}
	if add {
		c.reply.Error(fmt.Sprintf("ERR Slot %d is already busy", slots[0]))
		return
	}
	errOneNode(c, string(args[1]))
}

func clusterFlushSlots(c *Client, _ *clusterState, args [][]byte) {
	if c.ks.WithDB(0).DBSize() != 0 {
		c.reply.Error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
		return
	}
	errOneNode(c, "flushslots")
}

func clusterSetSlot(c *Client, cs *clusterState, args [][]byte) {
	if n, ok := parseInt64(args[2]); !ok || n < 0 || n >= clusterSlots {
		c.reply.Error("ERR Invalid or out of range slot")
		return
	}
	switch {
	case eqFold(args[3], "stable") && len(args) == 4:
		c.reply.OK() // nothing is migrating
	case (eqFold(args[3], "node") || eqFold(args[3], "migrating") || eqFold(args[3], "importing")) && len(args) == 5:
		switch {
		case string(args[4]) != cs.id:
			c.reply.Error("ERR I don't know about node " + string(args[4]))
		case eqFold(args[3], "node"):
			c.reply.OK() // it is this node's
		default:
			errOneNode(c, "setslot")
		}
	default:
		c.reply.Error("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
}

func clusterMeet(c *Client, _ *clusterState, args [][]byte) {
	if len(args) > 5 {
		c.reply.Error(errWrongArgs("cluster|meet"))
		return
	}
	if _, ok := parseInt64(args[3]); !ok {
		c.reply.Error("ERR Invalid TCP base port specified: " + string(args[3]))
		return
	}
	if len(args) == 5 {
		if _, ok := parseInt64(args[4]); !ok {
			c.reply.Error("ERR Invalid TCP bus port specified: " + string(args[4]))
			return
		}
	}
	errOneNode(c, "meet")
}

func clusterReset(c *Client, _ *clusterState, args [][]byte) {
	if len(args) == 3 && !eqFold(args[2], "hard") && !eqFold(args[2], "soft") {
		c.reply.Error(errSyntax)
		return
	}
	if len(args) > 3 {
		c.reply.Error(errWrongArgs("cluster|reset"))
		return
	}
	if c.ks.WithDB(0).DBSize() != 0 {
		c.reply.Error("ERR CLUSTER RESET can't be called with master nodes containing keys")
		return
	}
	errOneNode(c, "reset")
}

func clusterSaveConfig(c *Client, cs *clusterState, _ [][]byte) {
	cs.mu.Lock()
	err := cs.save(c.srv)
	cs.mu.Unlock()
	if err != nil {
		c.reply.Error("ERR error saving the cluster node config: " + err.Error())
		return
	}
	c.reply.OK()
}

// clusterBumpEpoch is Redis's clusterBumpConfigEpochWithoutConsensus for a
// cluster whose only node is this one.
func clusterBumpEpoch(c *Client, cs *clusterState, _ [][]byte) {
	cs.mu.Lock()
	bumped := cs.myEpoch == 0 || cs.myEpoch != cs.currentEpoch
	if bumped {
		cs.currentEpoch++
		cs.myEpoch = cs.currentEpoch
		cs.save(c.srv)
	}
	my := cs.myEpoch
	cs.mu.Unlock()
	if bumped {
		c.reply.Simple(fmt.Sprintf("BUMPED %d", my))
	} else {
		c.reply.Simple(fmt.Sprintf("STILL %d", my))
	}
}

func clusterSetConfigEpoch(c *Client, cs *clusterState, args [][]byte) {
	e, ok := parseInt64(args[2])
	if !ok {
		c.reply.Error(errNotInt)
		return
	}
	if e < 0 {
		c.reply.Error(fmt.Sprintf("ERR Invalid config epoch specified: %d", e))
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.myEpoch != 0 {
		c.reply.Error("ERR Node config epoch is already non-zero")
		return
	}
	cs.myEpoch = uint64(e)
	if cs.currentEpoch < cs.myEpoch {
		cs.currentEpoch = cs.myEpoch
	}
	cs.save(c.srv)
	c.reply.OK()
}

// clusterHelp is Redis 7.0's CLUSTER HELP.
var clusterHelp = []string{
	"ADDSLOTS <slot> [<slot> ...]",
	"    Assign slots to current node.",
	"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Assign slots which are between <start-slot> and <end-slot> to current node.",
	"BUMPEPOCH",
	"    Advance the cluster config epoch.",
	"COUNT-FAILURE-REPORTS <node-id>",
	"    Return number of failure reports for <node-id>.",
	"COUNTKEYSINSLOT <slot>",
	"    Return the number of keys in <slot>.",
	"DELSLOTS <slot> [<slot> ...]",
	"    Delete slots information from current node.",
	"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
	"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
	"FAILOVER [FORCE|TAKEOVER]",
	"    Promote current replica node to being a master.",
	"FORGET <node-id>",
	"    Remove a node from the cluster.",
	"GETKEYSINSLOT <slot> <count>",
	"    Return key names stored by current node in a slot.",
	"FLUSHSLOTS",
	"    Delete current node own slots information.",
	"INFO",
	"    Return information about the cluster.",
	"KEYSLOT <key>",
	"    Return the hash slot for <key>.",
	"MEET <ip> <port> [<bus-port>]",
	"    Connect nodes into a working cluster.",
	"MYID",
	"    Return the node id.",
	"NODES",
	"    Return cluster configuration seen by node. Output format:",
	"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
	"REPLICATE <node-id>",
	"    Configure current node as replica to <node-id>.",
	"RESET [HARD|SOFT]",
	"    Reset current node (default: soft).",
	"SET-CONFIG-EPOCH <epoch>",
	"    Set config epoch of current node.",
	"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
	"    Set slot state.",
	"REPLICAS <node-id>",
	"    Return <node-id> replicas.",
	"SAVECONFIG",
	"    Force saving cluster configuration on disk.",
	"SLOTS",
	"    Return information about slots range mappings. Each range is made of:",
	"    start, end, master and replicas IP addresses, ports and ids",
	"SHARDS",
	"    Return information about slot range mappings and the nodes associated with them.",
	"LINKS",
	"    Return information about all network links between this node and its peers.",
	"    Output format is an array where each array element is a map containing attributes of a link",
}
