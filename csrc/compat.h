/*
 * compat.h — one source tree for Lua 5.4 and LuaJIT 2.1 (Lua 5.1 ABI).
 *
 * Redirects, never redefines: LuaJIT 2.1 already declares luaL_setfuncs, luaL_testudata,
 * luaL_setmetatable and luaL_newlib, so only names missing from 5.1 are mapped, to hs_compat_*
 * macros. Everything here is a macro or a static inline; nothing is exported.
 */
#ifndef HS_COMPAT_H
#define HS_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 502
#define hs_rawlen(L, i) lua_rawlen((L), (i))
#define hs_absindex(L, i) lua_absindex((L), (i))
#else
#define hs_rawlen(L, i) lua_objlen((L), (i))
#define hs_absindex(L, i) \
  (((i) > 0 || (i) <= LUA_REGISTRYINDEX) ? (i) : lua_gettop(L) + (i) + 1)
#endif

/* A full userdata with one Lua value attached (a table); the value is collectable together with
 * the userdata, unlike a registry reference. */
#if LUA_VERSION_NUM >= 504
#define hs_newuserdata(L, sz) lua_newuserdatauv((L), (sz), 1)
#define hs_setuservalue(L, i) lua_setiuservalue((L), (i), 1)
#define hs_getuservalue(L, i) ((void)lua_getiuservalue((L), (i), 1))
#elif LUA_VERSION_NUM >= 502
#define hs_newuserdata(L, sz) lua_newuserdata((L), (sz))
#define hs_setuservalue(L, i) lua_setuservalue((L), (i))
#define hs_getuservalue(L, i) ((void)lua_getuservalue((L), (i)))
#else
#define hs_newuserdata(L, sz) lua_newuserdata((L), (sz))
#define hs_setuservalue(L, i) ((void)lua_setfenv((L), (i)))
#define hs_getuservalue(L, i) lua_getfenv((L), (i))
#endif

/* True when the value at i is a number holding an integer (5.4 subtype); under 5.1 every number
 * is a double and integrality is checked by the caller. */
#if LUA_VERSION_NUM >= 503
#define hs_isinteger(L, i) lua_isinteger((L), (i))
#else
#define hs_isinteger(L, i) 0
#endif

#endif
