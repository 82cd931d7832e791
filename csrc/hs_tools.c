/*
 * hs_tools.c — the table of the nine Help Scout tools, as a schema: the single source of the Lua
 * methods, argument checks, request building, the JSON encoder's arrays (hs_array_key), result
 * interpretation, and, through core.schema, the CLI flags, the agents' JSON Schemas, types/ and
 * the README rows.
 *
 * Parameter and field names are the wire names of helpscout-api.md §7. Enums are descriptive:
 * the API is the authority on values (helpscout-api.md §11.24); the client checks names, types,
 * array-ness and required-ness. Objects marked HS_OPEN pass keys beyond those listed through to
 * the API (customer records and threads carry more than the tools need to know).
 */
#include <string.h>
#include "hs.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define STR(n, d) {.name = n, .type = HS_T_STRING, .desc = d}
#define INT(n, d) {.name = n, .type = HS_T_INTEGER, .desc = d}
#define BOOL(n, d) {.name = n, .type = HS_T_BOOLEAN, .desc = d}
#define DATE(n, d) {.name = n, .type = HS_T_STRING, .flags = HS_DATE, .desc = d}
#define ENUM(n, e, d) {.name = n, .type = HS_T_STRING, .enums = e, .desc = d}
#define OBJ(n, fl, fs, d) {.name = n, .type = HS_T_OBJECT, .flags = fl, .fields = fs, .nfields = N(fs), .desc = d}
#define ARR(n, fl, it, d) {.name = n, .type = HS_T_ARRAY, .flags = fl, .items = it, .desc = d}

static const char *const e_status_filter[] = {"active", "all", "closed", "open", "pending", "spam",
                                              NULL};
static const char *const e_status_write[] = {"active", "pending", "closed", "spam", NULL};
static const char *const e_status_create[] = {"active", "pending", "closed", NULL};
static const char *const e_conv_type[] = {"email", "chat", "phone", NULL};
static const char *const e_thread_type[] = {"customer", "reply", "note", "chat", "phone", NULL};
static const char *const e_embed[] = {"threads", NULL};
static const char *const e_order[] = {"asc", "desc", NULL};
static const char *const e_conv_sort[] = {"createdAt", "customerEmail", "customerName",
                                          "mailboxid", "modifiedAt", "number", "score", "status",
                                          "subject", "waitingSince", NULL};
static const char *const e_cust_sort[] = {"createdAt", "firstName", "lastName", "modifiedAt",
                                          "score", NULL};

/* ---- element and object shapes ---- */
static const hs_field f_string = {.type = HS_T_STRING};
static const hs_field f_integer = {.type = HS_T_INTEGER};
static const hs_field f_email = {.type = HS_T_STRING, .desc = "e-mail address"};

static const hs_field attachment_fields[] = {
  {.name = "fileName", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "file name"},
  {.name = "mimeType", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "MIME type"},
  {.name = "data", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "content, base64"},
};
static const hs_field f_attachment = {.type = HS_T_OBJECT, .fields = attachment_fields,
                                      .nfields = N(attachment_fields), .desc = "an attachment"};

static const hs_field customer_fields[] = {
  INT("id", "customer id (an existing customer)"),
  STR("email", "e-mail address (found or created)"),
  STR("firstName", "first name"),
  STR("lastName", "last name"),
};
static const hs_field field_value_fields[] = {
  {.name = "id", .type = HS_T_INTEGER, .flags = HS_REQUIRED, .desc = "custom field id"},
  {.name = "value", .type = HS_T_ANY, .flags = HS_REQUIRED, .desc = "the value"},
};
static const hs_field f_field_value = {.type = HS_T_OBJECT, .fields = field_value_fields,
                                       .nfields = N(field_value_fields), .desc = "a custom field value"};

static const hs_field thread_fields[] = {
  {.name = "type", .type = HS_T_STRING, .flags = HS_REQUIRED, .enums = e_thread_type,
   .desc = "thread type"},
  {.name = "text", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "thread body (HTML)"},
  OBJ("customer", HS_OPEN, customer_fields, "the customer of a customer thread: {id=} or {email=}"),
  INT("user", "the user of a reply or note"),
  ARR("cc", 0, &f_email, "cc e-mail addresses"),
  ARR("bcc", 0, &f_email, "bcc e-mail addresses"),
  DATE("createdAt", "creation time (imports)"),
  ARR("attachments", 0, &f_attachment, "attachments"),
};
static const hs_field f_thread = {.type = HS_T_OBJECT, .flags = HS_OPEN, .fields = thread_fields,
                                  .nfields = N(thread_fields), .desc = "a thread"};

/* ---- query parameters ---- */
#define PAGE {.name = "page", .type = HS_T_INTEGER, .desc = "1-based page number", .min = 1, .max = 2147483647.0}

static const hs_field p_mailboxes[] = {PAGE};

static const hs_field p_conversations[] = {
  ARR("mailbox", HS_CSV, &f_integer, "inbox id, or several (array or CSV)"),
  INT("folder", "folder id"),
  ENUM("status", e_status_filter, "conversation status filter (API default: active)"),
  STR("tag", "tag name, or CSV of tag names"),
  INT("assigned_to", "assignee user id"),
  DATE("modifiedSince", "only conversations modified since (yyyy-MM-ddTHH:mm:ssZ)"),
  INT("number", "conversation number (the human-visible #)"),
  ENUM("sortField", e_conv_sort, "sort field"),
  ENUM("sortOrder", e_order, "sort order"),
  STR("query", "search query, e.g. (email:\"pat@example.com\")"),
  ENUM("embed", e_embed, "embed threads in each conversation"),
  STR("customFieldsByIds", "fieldId:value[,fieldId:value] (needs mailbox)"),
  PAGE,
};

static const hs_field p_get_conversation[] = {
  ENUM("embed", e_embed, "sub-resources to embed (default \"threads\"; \"\" for none)"),
};

static const hs_field p_customers[] = {
  INT("mailbox", "inbox id"),
  STR("firstName", "first name"),
  STR("lastName", "last name"),
  DATE("modifiedSince", "only customers modified since (yyyy-MM-ddTHH:mm:ssZ)"),
  ENUM("sortField", e_cust_sort, "sort field"),
  ENUM("sortOrder", e_order, "sort order"),
  STR("query", "search query, e.g. (email:\"pat@example.com\")"),
  PAGE,
};

static const hs_field p_users[] = {
  STR("email", "exact e-mail address"),
  INT("mailbox", "users with access to this inbox"),
  PAGE,
};

/* ---- bodies ---- */
static const hs_field note_fields[] = {
  {.name = "text", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "note text (HTML allowed)"},
  INT("user", "author user id (default: the token's user)"),
  ENUM("status", e_status_write, "set the conversation status"),
  BOOL("imported", "historical import: no notifications"),
  DATE("createdAt", "creation time (with imported only)"),
  ARR("attachments", 0, &f_attachment, "attachments"),
};

static const hs_field reply_fields[] = {
  {.name = "customer", .type = HS_T_OBJECT, .flags = HS_REQUIRED | HS_OPEN,
   .fields = customer_fields, .nfields = N(customer_fields),
   .desc = "the customer replied to: {id=} or {email=}"},
  {.name = "text", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "reply body (HTML)"},
  BOOL("draft", "create a draft instead of sending"),
  ENUM("status", e_status_write, "set the conversation status"),
  INT("user", "sending user id (default: the token's user)"),
  INT("assignTo", "assign to this user once published"),
  ARR("cc", 0, &f_email, "cc e-mail addresses"),
  ARR("bcc", 0, &f_email, "bcc e-mail addresses"),
  BOOL("imported", "historical import: nothing is e-mailed"),
  DATE("createdAt", "creation time (with imported only)"),
  ARR("attachments", 0, &f_attachment, "attachments"),
};

static const hs_field create_fields[] = {
  {.name = "mailboxId", .type = HS_T_INTEGER, .flags = HS_REQUIRED, .desc = "target inbox id"},
  {.name = "subject", .type = HS_T_STRING, .flags = HS_REQUIRED, .desc = "subject"},
  {.name = "customer", .type = HS_T_OBJECT, .flags = HS_REQUIRED | HS_OPEN,
   .fields = customer_fields, .nfields = N(customer_fields),
   .desc = "{id=} or {email=, firstName=, lastName=, ...}"},
  {.name = "type", .type = HS_T_STRING, .flags = HS_REQUIRED, .enums = e_conv_type,
   .desc = "conversation type"},
  {.name = "status", .type = HS_T_STRING, .flags = HS_REQUIRED, .enums = e_status_create,
   .desc = "initial status"},
  {.name = "threads", .type = HS_T_ARRAY, .flags = HS_REQUIRED | HS_NONEMPTY, .items = &f_thread,
   .desc = "at least one thread {type=customer|reply|note|chat|phone, text=, customer=, ...}"},
  BOOL("autoReply", "send the inbox auto-reply"),
  BOOL("imported", "historical import: no e-mails or notifications"),
  {.name = "assignTo", .type = HS_T_INTEGER, .flags = HS_NULLABLE,
   .desc = "assignee user id (cjson.null: unassigned)"},
  DATE("createdAt", "creation time (imports)"),
  DATE("closedAt", "closing time (imports)"),
  INT("user", "creating user id"),
  ARR("tags", 0, &f_string, "tag names"),
  ARR("fields", 0, &f_field_value, "custom field values {id=, value=} each"),
};

static const hs_field a_conversation_id = {.name = "conversation_id", .type = HS_T_INTEGER,
                                           .flags = HS_REQUIRED, .desc = "conversation id"};
static const hs_field b_note = {.name = "note", .type = HS_T_OBJECT, .flags = HS_REQUIRED,
                                .fields = note_fields, .nfields = N(note_fields),
                                .desc = "the note: a string (its text) or {text=, ...}"};
static const hs_field b_tags = {.name = "tags", .type = HS_T_ARRAY, .flags = HS_REQUIRED,
                                .items = &f_string,
                                .desc = "the complete new list of tag names ({} clears)"};
static const hs_field b_reply = {.name = "reply", .type = HS_T_OBJECT, .flags = HS_REQUIRED,
                                 .fields = reply_fields, .nfields = N(reply_fields),
                                 .desc = "the reply"};
static const hs_field b_create = {.name = "conversation", .type = HS_T_OBJECT,
                                  .flags = HS_REQUIRED, .fields = create_fields,
                                  .nfields = N(create_fields), .desc = "the new conversation"};

#define LIST(n, t, d, p, key) \
  {.name = n, .title = t, .desc = d, .method = "GET", .path = "/v2/" key, .params = p, \
   .nparams = N(p), .embedded = key, .result = HS_RES_PAGE}

const hs_tool hs_tools[] = {
  LIST("list_mailboxes", "List mailboxes",
       "List the inboxes (mailboxes) the token's user can access.", p_mailboxes, "mailboxes"),
  LIST("list_conversations", "List conversations",
       "List conversations, filtered and sorted; 25 per page. The API defaults to status=active.",
       p_conversations, "conversations"),
  {.name = "get_conversation", .title = "Get conversation",
   .desc = "Get one conversation by id, with its threads embedded by default.",
   .method = "GET", .path = "/v2/conversations/{conversation_id}", .id = &a_conversation_id,
   .params = p_get_conversation, .nparams = N(p_get_conversation), .result = HS_RES_OBJECT,
   .default_embed = "threads"},
  LIST("list_customers", "List customers",
       "List customers; search by e-mail with query=(email:\"...\"). 50 per page.", p_customers,
       "customers"),
  LIST("list_users", "List users", "List the account's users. 50 per page.", p_users, "users"),
  {.name = "add_note", .title = "Add note",
   .desc = "Add an internal note to a conversation (never e-mailed). Returns the new thread id.",
   .write = 1, .method = "POST", .path = "/v2/conversations/{conversation_id}/notes",
   .id = &a_conversation_id, .body = &b_note, .shorthand = "text", .result = HS_RES_ID,
   .created_path = "/v2/conversations/#/threads/#"},
  {.name = "update_tags", .title = "Update tags",
   .desc = "Replace the complete tag list of a conversation ({} removes every tag).",
   .write = 1, .method = "PUT", .path = "/v2/conversations/{conversation_id}/tags",
   .id = &a_conversation_id, .body = &b_tags, .wrap = "tags", .result = HS_RES_TRUE},
  {.name = "reply", .title = "Reply",
   .desc = "Reply to the customer of a conversation. Sent by e-mail unless draft=true. Returns "
           "the new thread id.",
   .write = 1, .method = "POST", .path = "/v2/conversations/{conversation_id}/reply",
   .id = &a_conversation_id, .body = &b_reply, .result = HS_RES_ID,
   .created_path = "/v2/conversations/#/threads/#"},
  {.name = "create_conversation", .title = "Create conversation",
   .desc = "Create a conversation with at least one thread. Returns the new conversation id.",
   .write = 1, .method = "POST", .path = "/v2/conversations", .body = &b_create,
   .result = HS_RES_ID, .created_path = "/v2/conversations/#"},
  /* Who the token acts as (the connect flow asks it after consent): a client method, not one of
   * the nine tools, so it stays out of core.schema and everything derived from it. */
  {.name = "whoami", .title = "Who am I",
   .desc = "The Help Scout user the token acts as (GET /v2/users/me).",
   .method = "GET", .path = "/v2/users/me", .result = HS_RES_OBJECT, .internal = 1},
};
const int hs_ntools = N(hs_tools);

const hs_tool *hs_tool_find(const char *name) {
  int i;
  for (i = 0; i < hs_ntools; i++)
    if (strcmp(hs_tools[i].name, name) == 0) return &hs_tools[i];
  return NULL;
}

/* Checks that argument `arg` names a tool (a list tool when want_list); raises otherwise. */
const hs_tool *hs_tool_check(lua_State *L, int arg, int want_list) {
  const char *name = hs_checkstring(L, arg);
  const hs_tool *t = hs_tool_find(name);
  int i, top;
  if (t && (!want_list || t->result == HS_RES_PAGE)) return t;
  top = lua_gettop(L);
  lua_pushfstring(L, "unknown %stool '%s'; valid: ", want_list ? "list " : "", name);
  for (i = 0; i < hs_ntools; i++) {
    if ((want_list && hs_tools[i].result != HS_RES_PAGE) || hs_tools[i].internal) continue;
    if (lua_gettop(L) > top + 1) lua_pushliteral(L, ", ");
    lua_pushstring(L, hs_tools[i].name);
  }
  lua_concat(L, lua_gettop(L) - top);
  hs_argerror(L, arg, lua_tostring(L, -1));
  return NULL;
}

static int array_in(const hs_field *fs, int n, const char *key, int depth) {
  int i;
  if (!fs || depth > 4) return 0;
  for (i = 0; i < n; i++) {
    const hs_field *f = &fs[i];
    if (f->type == HS_T_ARRAY && strcmp(f->name, key) == 0) return 1;
    if (f->type == HS_T_OBJECT && array_in(f->fields, f->nfields, key, depth + 1)) return 1;
    if (f->type == HS_T_ARRAY && f->items && f->items->type == HS_T_OBJECT &&
        array_in(f->items->fields, f->items->nfields, key, depth + 1))
      return 1;
  }
  return 0;
}

/* 1 when some body field called `key` is an array on the wire: an empty Lua table there must be
 * encoded as [] (derived from the table, so a new array field needs no second edit). */
int hs_array_key(const char *key) {
  int i;
  if (!key) return 0;
  for (i = 0; i < hs_ntools; i++) {
    const hs_field *b = hs_tools[i].body;
    if (!b) continue;
    if (b->type == HS_T_ARRAY && strcmp(b->name, key) == 0) return 1;
    if (b->type == HS_T_OBJECT && array_in(b->fields, b->nfields, key, 0)) return 1;
  }
  return 0;
}

/* ---- core.schema ---- */

static const char *const type_names[] = {"string", "integer", "number", "boolean", "object",
                                         "array", "function", "any"};

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_true(lua_State *L, const char *k, int on) {
  if (!on) return;
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, k);
}

static void push_fields(lua_State *L, const hs_field *fs, int n);

/* Pushes one field as {name, type, description, required, nullable, enum, format, csv, items,
 * fields, open, minimum, maximum} (the range only where the table sets one: min < max). */
static void push_field(lua_State *L, const hs_field *f) {
  int k;
  lua_createtable(L, 0, 8);
  set_str(L, "name", f->name);
  set_str(L, "type", type_names[f->type]);
  set_str(L, "description", f->desc);
  set_true(L, "required", (f->flags & HS_REQUIRED) != 0);
  set_true(L, "nullable", (f->flags & HS_NULLABLE) != 0);
  set_true(L, "csv", (f->flags & HS_CSV) != 0);
  set_true(L, "nonempty", (f->flags & HS_NONEMPTY) != 0);
  set_true(L, "open", (f->flags & HS_OPEN) != 0);
  if (f->flags & HS_DATE) set_str(L, "format", "date-time");
  if (f->min < f->max) {
    lua_pushnumber(L, f->min);
    lua_setfield(L, -2, "minimum");
    lua_pushnumber(L, f->max);
    lua_setfield(L, -2, "maximum");
  }
  if (f->enums) {
    lua_newtable(L);
    for (k = 0; f->enums[k]; k++) {
      lua_pushstring(L, f->enums[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "enum");
  }
  if (f->items) {
    push_field(L, f->items);
    lua_setfield(L, -2, "items");
  }
  if (f->fields) {
    push_fields(L, f->fields, f->nfields);
    lua_setfield(L, -2, "fields");
  }
}

static void push_fields(lua_State *L, const hs_field *fs, int n) {
  int i;
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    push_field(L, &fs[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_tool(lua_State *L, const hs_tool *t) {
  static const char *const results[] = {"page", "object", "id", "true"};
  int nargs = 0;
  lua_createtable(L, 0, 12);
  set_str(L, "name", t->name);
  set_str(L, "title", t->title);
  set_str(L, "description", t->desc);
  set_str(L, "access", t->write ? "write" : "read");
  set_str(L, "method", t->method);
  set_str(L, "path", t->path);
  lua_pushboolean(L, strcmp(t->method, "POST") != 0);
  lua_setfield(L, -2, "idempotent");
  set_str(L, "result", results[t->result]);
  set_str(L, "embedded", t->embedded);
  set_str(L, "default_embed", t->default_embed);
  lua_newtable(L);
  if (t->id) {
    push_field(L, t->id);
    lua_rawseti(L, -2, ++nargs);
  }
  if (t->body) {
    push_field(L, t->body);
    set_str(L, "shorthand", t->shorthand);
    set_str(L, "wrap", t->wrap);
    lua_rawseti(L, -2, ++nargs);
  }
  lua_setfield(L, -2, "args");
  push_fields(L, t->params, t->params ? t->nparams : 0);
  lua_setfield(L, -2, "params");
}

void hs_schema_push(lua_State *L) {
  int i, n = 0;
  lua_createtable(L, hs_ntools, 0);
  for (i = 0; i < hs_ntools; i++) {
    if (hs_tools[i].internal) continue;
    push_tool(L, &hs_tools[i]);
    lua_rawseti(L, -2, ++n);
  }
}
