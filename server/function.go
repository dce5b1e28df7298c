package server

import lua "github.com/yuin/gopher-lua"

// functions is the FUNCTION state (libraries and their functions).
type functions struct{}

func (f *functions) init() {}

// luaFunction is one registered function.
type luaFunction struct {
	fn *lua.LFunction
}

// libraryLoad collects what a library registers while it loads.
type libraryLoad struct{}

func (s *Server) functionEngine() *luaEngine { return s.evalEngine() }
