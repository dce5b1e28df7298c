package server

import lua "github.com/yuin/gopher-lua"

func openLuaBit(L *lua.LState, g *lua.LTable)      {}
func openLuaCjson(L *lua.LState, g *lua.LTable)    {}
func openLuaStruct(L *lua.LState, g *lua.LTable)   {}
func openLuaCmsgpack(L *lua.LState, g *lua.LTable) {}
