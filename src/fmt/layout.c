/* layout.c -- where a screenplay's elements fall on the page, estimated.
 *
 * Shared by the screenplay readers (Fountain, Final Draft) so that one
 * script gets the same pages whatever format the writer keeps it in.  The
 * reader tells what each element is, in order; the layout counts lines.
 *
 * The model is US Letter in Courier 12 (10 characters an inch, 6 lines an
 * inch): 55 lines a page; action, scene headings and centered text 60
 * characters wide, dialogue 35, parentheticals 30; character cues and
 * transitions one line; one blank line between elements (runs of blank
 * lines count once, none at the top of a page).  Lines are wrapped at
 * spaces (tabs count 4 columns, wide characters 2, a word longer than the
 * width is broken).  A scene heading is kept with the first line after it
 * and a cue with its first line of dialogue; dialogue running onto a new
 * page repeats the cue, (CONT'D), one line; a forced page break starts a
 * new page unless the page is empty; the second block of dual dialogue is
 * set beside the first (back to the first cue's line, ending at the lower
 * of the two) when both are on one page.  Real software also breaks action
 * only between sentences, adds (MORE) at the foot of a page, narrows dual
 * dialogue and may number pages differently, so a page here can be off by
 * one or two in a long script: "about page 31".
 *
 * Counts are 64-bit, so no script overflows them; a page past UINT32_MAX is
 * reported as UINT32_MAX.  Nothing here allocates or fails. */
#include "fmt/fmt.h"

#include <string.h>
#include <utf8proc.h>

#define PAGE_LINES 55
#define W_ACTION 60
#define W_DIALOGUE 35
#define W_PAREN 30
#define TAB_COLS 4

/* Columns of one character at p (n > 0 bytes left); *len its bytes. */
static unsigned char_cols(const char *p, size_t n, size_t *len)
{
    unsigned char c = (unsigned char)p[0];
    *len = 1;
    if (c < 0x80) return c == '\t' ? TAB_COLS : 1;
    int32_t cp;
    size_t l = pk_utf8_decode((const uint8_t *)p, n, &cp);
    if (!l) return 1;
    *len = l;
    int w = utf8proc_charwidth(cp);
    return w < 0 ? 0 : (unsigned)w;
}

uint64_t pk_layout_wrap(const char *p, size_t n, unsigned width)
{
    uint64_t lines = 1, col = 0, space = 0;
    size_t i = 0;
    while (i < n) {
        if (p[i] == ' ' || p[i] == '\t') {
            space += p[i] == '\t' ? TAB_COLS : 1;
            i++;
            continue;
        }
        uint64_t w = 0;
        size_t l;
        while (i < n && p[i] != ' ' && p[i] != '\t') {
            w += char_cols(p + i, n - i, &l);
            i += l;
        }
        if (col > 0 && col + space + w > width) {
            lines++;
            col = 0;
        } else {
            col += space;
        }
        space = 0;
        if (col + w <= width) {
            col += w;
        } else { /* longer than a line: broken */
            uint64_t total = col + w;
            lines += (total - 1) / width;
            col = (total - 1) % width + 1;
        }
    }
    return lines;
}

void pk_layout_init(pk_layout *L)
{
    memset(L, 0, sizeof *L);
    L->page = 1;
}

/* Lay out h printed lines of one element; keep of them (from the top,
 * with what must follow) go on one page; a page break inside the element
 * starts the new page with cont lines (a repeated cue).  Returns the page
 * of the first line. */
static uint64_t place(pk_layout *L, uint64_t h, uint64_t keep, uint64_t cont)
{
    uint64_t sep = L->gap && L->y > 0 ? 1 : 0;
    L->gap = 0;
    L->dlg_last = 0;
    if (L->y > 0 && L->y + sep + keep > PAGE_LINES) {
        L->page++;
        L->y = cont;
        sep = 0;
    }
    L->y += sep;
    uint64_t first = L->page;
    L->first_y = L->y;
    while (h > 0) {
        if (L->y >= PAGE_LINES) {
            L->page++;
            L->y = cont;
        }
        uint64_t room = PAGE_LINES - L->y, take = h < room ? h : room;
        L->y += take;
        h -= take;
    }
    return first;
}

void pk_layout_page_break(pk_layout *L)
{
    if (L->y > 0) {
        L->page++;
        L->y = 0;
    }
    L->gap = 0;
    L->dlg_last = 0;
}

static void end_dialogue(pk_layout *L)
{
    if (L->dual) {
        if (L->page == L->dlg_page && L->y < L->dual_end_y) L->y = L->dual_end_y;
        L->dual = 0;
        L->dlg_last = 0;
    } else {
        L->dlg_last = 1;
    }
}

void pk_layout_blank(pk_layout *L)
{
    if (L->in_dlg) end_dialogue(L);
    L->in_dlg = 0;
    L->gap = 1;
}

uint32_t pk_layout_element(pk_layout *L, int kind, const char *p, size_t n)
{
    uint64_t page, h;
    switch (kind) {
    case PK_EL_HEADING:
        h = pk_layout_wrap(p, n, W_ACTION);
        page = place(L, h, h + 2, 0);
        break;
    case PK_EL_DUAL_CUE:
    case PK_EL_CUE:
        if (kind == PK_EL_DUAL_CUE && L->dlg_last && L->dlg_page == L->page && L->dlg_end_page == L->page) {
            L->dual = 1;
            L->dual_end_y = L->dlg_end_y;
            L->y = L->dlg_y;
            L->gap = 0;
        }
        page = L->dlg_page = place(L, 1, 2, 0);
        L->dlg_y = L->first_y;
        L->dlg_end_page = L->page;
        L->dlg_end_y = L->y;
        L->in_dlg = 1;
        break;
    case PK_EL_DIALOGUE:
    case PK_EL_PAREN:
        page = place(L, pk_layout_wrap(p, n, kind == PK_EL_PAREN ? W_PAREN : W_DIALOGUE), 1, 1);
        L->dlg_end_page = L->page;
        L->dlg_end_y = L->y;
        break;
    case PK_EL_TRANSITION: page = place(L, 1, 1, 0); break;
    case PK_EL_SPACER: page = place(L, 1, 1, L->in_dlg ? 1 : 0); break;
    default: page = place(L, pk_layout_wrap(p, n, W_ACTION), 1, 0); break;
    }
    return page > UINT32_MAX ? UINT32_MAX : (uint32_t)page;
}

/* ---- title and author ---------------------------------------------------- */

void pk_meta_append(char *dst, size_t cap, const char *sep, const char *p, size_t n)
{
    size_t start = strnlen(dst, cap - 1), at = start, sl = strlen(sep);
    if (!n) return;
    if (at) {
        if (at + sl >= cap - 1) return;
        memcpy(dst + at, sep, sl);
        at += sl;
    }
    size_t room = cap - 1 - at, take = n;
    if (take > room) {
        take = room;
        for (int back = 0; back < 3 && take > 0 && ((unsigned char)p[take] & 0xC0) == 0x80; back++) take--;
    }
    if (!take) at = start; /* nothing fits: no separator either */
    memcpy(dst + at, p, take);
    at += take;
    while (at > 0 && dst[at - 1] == ' ') at--;
    dst[at] = 0;
}
