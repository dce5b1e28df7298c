package server

// MODULE: fastcache loads no Redis modules (they are C shared libraries
// built against Redis's module API). LIST answers the empty list and LOAD,
// LOADEX and UNLOAD answer as a Redis 7.0 with its default
// enable-module-command no does.

const errModuleNotAllowed = "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."

var moduleCommand = &Command{Name: "module", Arity: -2, Group: "server", Since: "4.0.0",
	Summary: "A container for module commands", Complexity: "Depends on subcommand."}

func init() {
	const fl = flagAdmin
	module := moduleCommand
	module.Handler = func(c *Client, args [][]byte) { runSub(c, module, args) }
	refuse := func(c *Client, args [][]byte) { c.reply.Error(errModuleNotAllowed) }
	module.Sub = subTable(
		&Command{Name: "module|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Complexity: "O(1)", Handler: moduleHelp},
		&Command{Name: "module|list", Arity: 2, Flags: fl, Group: "server", Since: "4.0.0",
			Summary: "List all modules loaded by the server", Complexity: "O(N) where N is the number of loaded modules.",
			Handler: func(c *Client, args [][]byte) { c.reply.Array(0) }},
		&Command{Name: "module|load", Arity: -3, Flags: fl, Group: "server", Since: "4.0.0",
			Summary: "Load a module", Complexity: "O(1)", Args: "path:string [arg:string...]", Handler: refuse},
		&Command{Name: "module|loadex", Arity: -3, Flags: fl, Group: "server", Since: "7.0.0",
			Summary: "Load a module with extended parameters", Complexity: "O(1)",
			Args: "path:string [configs=(CONFIG name:string value:string)...] [ARGS args:string...]", Handler: refuse},
		&Command{Name: "module|unload", Arity: 3, Flags: fl, Group: "server", Since: "4.0.0",
			Summary: "Unload a module", Complexity: "O(1)", Args: "name:string", Handler: refuse},
	)
	for _, n := range []string{"module|load", "module|loadex", "module|unload"} {
		extraFlags[n] = []string{"no_async_loading"}
	}
	register(module)
}

func moduleHelp(c *Client, args [][]byte) {
	replyHelp(c, "module", []string{
		"LIST",
		"    Return a list of loaded modules.",
		"LOAD <path> [<arg> ...]",
		"    Load a module library from <path>, passing to it any optional arguments.",
		"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
		"    Load a module library from <path>, while passing it module configurations and optional arguments.",
		"UNLOAD <name>",
		"    Unload a module.",
	})
}
