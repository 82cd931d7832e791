/*
 * hs_tools.c — the table of the nine Help Scout tools: the single source of truth for the Lua
 * methods, argument checking, request building, response interpretation, and (through
 * core.tools) the CLI and the agent schemas.
 *
 * Parameter names are the wire names of helpscout-api.md §7. Enums are descriptive only: the API
 * is the authority on values (helpscout-api.md §11.24), the client checks names and types.
 */
#include <string.h>
#include "hs.h"

static const char *const e_status_filter[] = {"active", "all", "closed", "open", "pending", "spam",
                                              NULL};
static const char *const e_status_write[] = {"active", "pending", "closed", "spam", NULL};
static const char *const e_status_create[] = {"active", "pending", "closed", NULL};
static const char *const e_conv_type[] = {"email", "chat", "phone", NULL};
static const char *const e_embed[] = {"threads", NULL};
static const char *const e_order[] = {"asc", "desc", NULL};
static const char *const e_conv_sort[] = {"createdAt", "customerEmail", "customerName",
                                          "mailboxid", "modifiedAt", "number", "score", "status",
                                          "subject", "waitingSince", NULL};
static const char *const e_cust_sort[] = {"createdAt", "firstName", "lastName", "modifiedAt",
                                          "score", NULL};

#define PAGE {"page", HS_T_INTEGER, 0, NULL, "1-based page number"}

static const hs_param p_mailboxes[] = {PAGE};

static const hs_param p_conversations[] = {
  {"mailbox", HS_T_INTEGERS, 0, NULL, "inbox id, or several (array or CSV)"},
  {"folder", HS_T_INTEGER, 0, NULL, "folder id"},
  {"status", HS_T_STRING, 0, e_status_filter, "conversation status filter (API default: active)"},
  {"tag", HS_T_STRING, 0, NULL, "tag name, or CSV of tag names"},
  {"assigned_to", HS_T_INTEGER, 0, NULL, "assignee user id"},
  {"modifiedSince", HS_T_DATE, 0, NULL, "only conversations modified since (yyyy-MM-ddTHH:mm:ssZ)"},
  {"number", HS_T_INTEGER, 0, NULL, "conversation number (the human-visible #)"},
  {"sortField", HS_T_STRING, 0, e_conv_sort, "sort field"},
  {"sortOrder", HS_T_STRING, 0, e_order, "sort order"},
  {"query", HS_T_STRING, 0, NULL, "search query, e.g. (email:\"pat@example.com\")"},
  {"embed", HS_T_STRING, 0, e_embed, "embed threads in each conversation"},
  {"customFieldsByIds", HS_T_STRING, 0, NULL, "fieldId:value[,fieldId:value] (needs mailbox)"},
  PAGE,
};

static const hs_param p_get_conversation[] = {
  {"embed", HS_T_STRING, 0, e_embed, "sub-resources to embed (default \"threads\"; \"\" for none)"},
};

static const hs_param p_customers[] = {
  {"mailbox", HS_T_INTEGER, 0, NULL, "inbox id"},
  {"firstName", HS_T_STRING, 0, NULL, "first name"},
  {"lastName", HS_T_STRING, 0, NULL, "last name"},
  {"modifiedSince", HS_T_DATE, 0, NULL, "only customers modified since (yyyy-MM-ddTHH:mm:ssZ)"},
  {"sortField", HS_T_STRING, 0, e_cust_sort, "sort field"},
  {"sortOrder", HS_T_STRING, 0, e_order, "sort order"},
  {"query", HS_T_STRING, 0, NULL, "search query, e.g. (email:\"pat@example.com\")"},
  PAGE,
};

static const hs_param p_users[] = {
  {"email", HS_T_STRING, 0, NULL, "exact e-mail address"},
  {"mailbox", HS_T_INTEGER, 0, NULL, "users with access to this inbox"},
  PAGE,
};

static const hs_param p_note[] = {
  {"text", HS_T_STRING, HS_REQUIRED, NULL, "note text (HTML allowed)"},
  {"user", HS_T_INTEGER, 0, NULL, "author user id (default: the token's user)"},
  {"status", HS_T_STRING, 0, e_status_write, "set the conversation status"},
  {"imported", HS_T_BOOLEAN, 0, NULL, "historical import: no notifications"},
  {"createdAt", HS_T_DATE, 0, NULL, "creation time (with imported only)"},
  {"attachments", HS_T_OBJECTS, 0, NULL, "{fileName, mimeType, data (base64)} each"},
};

static const hs_param p_tags[] = {
  {"tags", HS_T_STRINGS, HS_REQUIRED, NULL, "the complete new list of tag names ({} clears)"},
};

static const hs_param p_reply[] = {
  {"customer", HS_T_OBJECT, HS_REQUIRED, NULL, "the customer replied to: {id=} or {email=}"},
  {"text", HS_T_STRING, HS_REQUIRED, NULL, "reply body (HTML)"},
  {"draft", HS_T_BOOLEAN, 0, NULL, "create a draft instead of sending"},
  {"status", HS_T_STRING, 0, e_status_write, "set the conversation status"},
  {"user", HS_T_INTEGER, 0, NULL, "sending user id (default: the token's user)"},
  {"assignTo", HS_T_INTEGER, 0, NULL, "assign to this user once published"},
  {"cc", HS_T_STRINGS, 0, NULL, "cc e-mail addresses"},
  {"bcc", HS_T_STRINGS, 0, NULL, "bcc e-mail addresses"},
  {"imported", HS_T_BOOLEAN, 0, NULL, "historical import: nothing is e-mailed"},
  {"createdAt", HS_T_DATE, 0, NULL, "creation time (with imported only)"},
  {"attachments", HS_T_OBJECTS, 0, NULL, "{fileName, mimeType, data (base64)} each"},
};

static const hs_param p_create[] = {
  {"mailboxId", HS_T_INTEGER, HS_REQUIRED, NULL, "target inbox id"},
  {"subject", HS_T_STRING, HS_REQUIRED, NULL, "subject"},
  {"customer", HS_T_OBJECT, HS_REQUIRED, NULL, "{id=} or {email=, firstName=, lastName=, ...}"},
  {"type", HS_T_STRING, HS_REQUIRED, e_conv_type, "conversation type"},
  {"status", HS_T_STRING, HS_REQUIRED, e_status_create, "initial status"},
  {"threads", HS_T_OBJECTS, HS_REQUIRED, NULL,
   "at least one thread {type=customer|reply|note|chat|phone, text=, customer=, ...}"},
  {"autoReply", HS_T_BOOLEAN, 0, NULL, "send the inbox auto-reply"},
  {"imported", HS_T_BOOLEAN, 0, NULL, "historical import: no e-mails or notifications"},
  {"assignTo", HS_T_INTEGER, HS_NULLABLE, NULL, "assignee user id (cjson.null: unassigned)"},
  {"createdAt", HS_T_DATE, 0, NULL, "creation time (imports)"},
  {"closedAt", HS_T_DATE, 0, NULL, "closing time (imports)"},
  {"user", HS_T_INTEGER, 0, NULL, "creating user id"},
  {"tags", HS_T_STRINGS, 0, NULL, "tag names"},
  {"fields", HS_T_OBJECTS, 0, NULL, "custom field values {id=, value=} each"},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

const hs_tool hs_tools[] = {
  {"list_mailboxes", "List mailboxes", "List the inboxes (mailboxes) the token's user can access.",
   0, "GET", "/v2/mailboxes", NULL, NULL, HS_BODY_NONE, p_mailboxes, N(p_mailboxes), "mailboxes",
   HS_RES_PAGE, NULL},
  {"list_conversations", "List conversations",
   "List conversations, filtered and sorted; 25 per page. The API defaults to status=active.",
   0, "GET", "/v2/conversations", NULL, NULL, HS_BODY_NONE, p_conversations, N(p_conversations),
   "conversations", HS_RES_PAGE, NULL},
  {"get_conversation", "Get conversation",
   "Get one conversation by id, with its threads embedded by default.",
   0, "GET", "/v2/conversations/{conversation_id}", "conversation_id", NULL, HS_BODY_NONE,
   p_get_conversation, N(p_get_conversation), NULL, HS_RES_OBJECT, "threads"},
  {"list_customers", "List customers",
   "List customers; search by e-mail with query=(email:\"...\"). 50 per page.",
   0, "GET", "/v2/customers", NULL, NULL, HS_BODY_NONE, p_customers, N(p_customers), "customers",
   HS_RES_PAGE, NULL},
  {"list_users", "List users", "List the account's users. 50 per page.",
   0, "GET", "/v2/users", NULL, NULL, HS_BODY_NONE, p_users, N(p_users), "users", HS_RES_PAGE, NULL},
  {"add_note", "Add note",
   "Add an internal note to a conversation (never e-mailed). Returns the new thread id.",
   1, "POST", "/v2/conversations/{conversation_id}/notes", "conversation_id", "note", HS_BODY_NOTE,
   p_note, N(p_note), NULL, HS_RES_ID, NULL},
  {"update_tags", "Update tags",
   "Replace the complete tag list of a conversation ({} removes every tag).",
   1, "PUT", "/v2/conversations/{conversation_id}/tags", "conversation_id", "tags", HS_BODY_TAGS,
   p_tags, N(p_tags), NULL, HS_RES_TRUE, NULL},
  {"reply", "Reply",
   "Reply to the customer of a conversation. Sent by e-mail unless draft=true. Returns the new "
   "thread id.",
   1, "POST", "/v2/conversations/{conversation_id}/reply", "conversation_id", "reply",
   HS_BODY_OBJECT, p_reply, N(p_reply), NULL, HS_RES_ID, NULL},
  {"create_conversation", "Create conversation",
   "Create a conversation with at least one thread. Returns the new conversation id.",
   1, "POST", "/v2/conversations", NULL, "conversation", HS_BODY_OBJECT, p_create, N(p_create),
   NULL, HS_RES_ID, NULL},
};
const int hs_ntools = N(hs_tools);

const hs_tool *hs_tool_find(const char *name) {
  int i;
  for (i = 0; i < hs_ntools; i++)
    if (strcmp(hs_tools[i].name, name) == 0) return &hs_tools[i];
  return NULL;
}

void hs_push_valid_names(lua_State *L, const hs_param *ps, int n) {
  luaL_Buffer b;
  int i;
  luaL_buffinit(L, &b);
  for (i = 0; i < n; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, ps[i].name);
  }
  luaL_pushresult(&b);
}

/* Checks that argument `arg` names a tool (a list tool when want_list); raises otherwise. */
const hs_tool *hs_tool_check(lua_State *L, int arg, int want_list) {
  const char *name = luaL_checkstring(L, arg);
  const hs_tool *t = hs_tool_find(name);
  if (!t || (want_list && t->result != HS_RES_PAGE)) {
    luaL_Buffer b;
    int i, first = 1;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "unknown %stool '%s'; valid: ", want_list ? "list " : "", name);
    luaL_addvalue(&b);
    for (i = 0; i < hs_ntools; i++) {
      if (want_list && hs_tools[i].result != HS_RES_PAGE) continue;
      if (!first) luaL_addstring(&b, ", ");
      luaL_addstring(&b, hs_tools[i].name);
      first = 0;
    }
    luaL_pushresult(&b);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return t;
}

static const char *type_name(int type) {
  switch (type) {
  case HS_T_STRING: return "string";
  case HS_T_INTEGER: return "integer";
  case HS_T_BOOLEAN: return "boolean";
  case HS_T_INTEGERS: return "integers";
  case HS_T_DATE: return "date";
  default: return "table";
  }
}

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

/* Pushes core.tools: an array, in table order, of
 *   {name, title, access, method, path, args, body, params, embedded, description}
 * where params[i] = {name, type, enum?, description, required?, nullable?, array?, items?}. */
void hs_tools_push(lua_State *L) {
  int i, j, k;
  lua_createtable(L, hs_ntools, 0);
  for (i = 0; i < hs_ntools; i++) {
    const hs_tool *t = &hs_tools[i];
    lua_createtable(L, 0, 10);
    set_str(L, "name", t->name);
    set_str(L, "title", t->title);
    set_str(L, "access", t->write ? "write" : "read");
    set_str(L, "method", t->method);
    set_str(L, "path", t->path);
    set_str(L, "description", t->desc);
    set_str(L, "embedded", t->embedded);
    set_str(L, "body", t->body_arg);
    set_str(L, "default_embed", t->default_embed);
    lua_newtable(L);
    if (t->id_arg) {
      lua_pushstring(L, t->id_arg);
      lua_rawseti(L, -2, 1);
    }
    lua_setfield(L, -2, "args");
    lua_createtable(L, t->nparams, 0);
    for (j = 0; j < t->nparams; j++) {
      const hs_param *p = &t->params[j];
      lua_createtable(L, 0, 6);
      set_str(L, "name", p->name);
      set_str(L, "type", type_name(p->type));
      set_str(L, "description", p->desc);
      if (p->type == HS_T_STRINGS || p->type == HS_T_OBJECTS) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "array");
        set_str(L, "items", p->type == HS_T_STRINGS ? "string" : "table");
      }
      if (p->flags & HS_REQUIRED) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "required");
      }
      if (p->flags & HS_NULLABLE) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "nullable");
      }
      if (p->enums) {
        lua_newtable(L);
        for (k = 0; p->enums[k]; k++) {
          lua_pushstring(L, p->enums[k]);
          lua_rawseti(L, -2, k + 1);
        }
        lua_setfield(L, -2, "enum");
      }
      lua_rawseti(L, -2, j + 1);
    }
    lua_setfield(L, -2, "params");
    lua_rawseti(L, -2, i + 1);
  }
}
