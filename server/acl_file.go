package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// The aclfile (Redis's ACL file): one "user <name> <rules...>" line per
// user, as ACL LIST shows them. The start loads it (an error stops the
// start, as Redis aborts), ACL LOAD replaces every user with its contents
// (all or nothing; connections of the replaced users are closed), ACL SAVE
// writes the users to it (a temporary file renamed over it).

// LoadACLFile loads the users of the configured aclfile, if any; call it
// before Serve.
// The users the config file declares ("user" lines) are created here too;
// as Redis, a config may have those or an aclfile, not both.
func (s *Server) LoadACLFile() error {
	if s.cfg == nil {
		return nil
	}
	if users := s.cfg.Users(); len(users) > 0 {
		if s.cfg.ACLFile() != "" {
			return errors.New("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
		}
		return s.acl.loadConfigured(users)
	}
	if s.cfg.ACLFile() == "" {
		return nil
	}
	if msg := s.acl.loadFile(nil, s.aclFile()); msg != "" {
		return errors.New("Aborting because of ACL errors: " + msg)
	}
	return nil
}

func (s *Server) aclFile() string {
	if s.cfg == nil {
		return ""
	}
	return s.cfg.ACLFile()
}

// aclPath is where file is: a relative path is taken from dir, as Redis
// (which runs in its dir) does.
func (a *aclState) aclPath(file string) string {
	if a.srv.cfg == nil {
		return file
	}
	return a.srv.cfg.InDir(file)
}

// loadConfigured creates the users of the config file's user lines (the
// default user is reset first), as Redis's ACLLoadConfiguredUsers.
func (a *aclState) loadConfigured(users [][]string) error {
	seen := map[string]bool{}
	for _, line := range users {
		name, rules := line[0], line[1:]
		if seen[name] {
			return fmt.Errorf("Error in user declaration '%s': Duplicate user found. A user can only be defined once in config files", name)
		}
		seen[name] = true
		if aclHasSpaces(name) {
			return errors.New("Spaces not allowed in ACL usernames")
		}
		if name == "default" {
			rules = append([]string{"reset"}, rules...)
		}
		if msg := a.setUser(nil, name, rules); msg != "" {
			return fmt.Errorf("Error in user declaration '%s': %s", name, strings.TrimPrefix(msg, "ERR "))
		}
	}
	return nil
}

func aclLoad(c *Client, args [][]byte) {
	file := c.srv.aclFile()
	if file == "" {
		c.reply.Error(errAclNoFile)
		return
	}
	if msg := c.srv.acl.loadFile(c, file); msg != "" {
		c.reply.Error("ERR " + msg)
		return
	}
	c.reply.OK()
}

func aclSave(c *Client, args [][]byte) {
	file := c.srv.aclFile()
	if file == "" {
		c.reply.Error(errAclNoFile)
		return
	}
	if err := c.srv.acl.saveFile(file); err != nil {
		c.srv.log.Warn().Err(err).Msg("ACL SAVE")
		c.reply.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.reply.OK()
}

// loadFile is ACLLoadFromFile: "" when every line loaded, else Redis's
// description of the problems (and nothing changed). self is the client
// asking (nil at start).
func (a *aclState) loadFile(self *Client, file string) string {
	data, err := os.ReadFile(a.aclPath(file))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Sprintf("Error loading ACLs, opening file '%s': %s", file, aclStrerror(err))
	}
	pubsubAll := a.pubsubAll()
	var errs strings.Builder
	users := map[string]*aclPerms{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", file, n)
			continue
		}
		name := argv[1]
		if aclHasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", file, n, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		p := newPerms(pubsubAll)
		users[name] = p
		merged, _, ok := mergeSelectorArgs(argv[2:])
		if !ok {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", file, n)
			continue
		}
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			switch e := p.apply(op, pubsubAll); {
			case e == aclErrUnknown:
				// Redis names the rule only for unknown commands: other
				// rules may hold a password.
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", file, n, op, e)
			case e != aclErrNone && errs.Len() == 0:
				fmt.Fprintf(&errs, "%s:%d: %s. ", file, n, e)
			}
		}
	}
	if errs.Len() > 0 {
		return errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	}
	a.mu.Lock()
	gone := map[*aclUser]bool{}
	for _, u := range a.users {
		if u != a.def {
			u.p.Store(aclDeletedPerms())
			gone[u] = true
		}
	}
	a.users = map[string]*aclUser{"default": a.def}
	for name, p := range users {
		if name == "default" {
			continue
		}
		u := &aclUser{name: name}
		u.p.Store(p.seal())
		a.users[name] = u
	}
	if p := users["default"]; p != nil {
		a.def.p.Store(p.seal())
	} else {
		a.def.p.Store(defaultPerms(""))
	}
	a.mu.Unlock()
	a.closeClientsOf(self, gone)
	return ""
}

// aclStrerror is C's strerror text for the usual errors of opening a file.
func aclStrerror(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, os.ErrPermission):
		return "Permission denied"
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// saveFile is ACLSaveToFile.
func (a *aclState) saveFile(file string) error {
	file = a.aclPath(file)
	var b bytes.Buffer
	for _, u := range a.list() {
		b.WriteString("user " + u.name + " " + u.perms().describe() + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", file, os.Getpid(), time.Now().UnixMilli())
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the temp ACL file: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming the temp ACL file: %w", err)
	}
	return nil
}
