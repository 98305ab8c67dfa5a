/* lazy.h -- libraries opened when first needed (lazy.c).
 *
 * Include it in place of the library's headers, after defining
 * PK_LAZY_POPPLER, PK_LAZY_CURL, PK_LAZY_QPDF, PK_LAZY_MHD, PK_LAZY_XML
 * (libxml2) or PK_LAZY_ARCHIVE (libarchive), and after any header of
 * that library included directly (the names become macros here): the
 * library's functions are then called through a table that its loader
 * (pk_lazy_poppler(), pk_lazy_curl(), ...) fills on first use.  Each
 * call site keeps the library's own name for the function: the names are
 * macros for the table's members.  Every path into code that uses them
 * calls the loader first and fails with its error when the library
 * cannot be opened.  The libxml2 part assumes a build with threads (its
 * error handlers are per-thread functions, __xmlGenericError and the
 * like) and with xmlFree a variable, as Debian's is. */
#ifndef PK_LAZY_H
#define PK_LAZY_H

#include "pk.h"

#define PK_POPPLER_FNS(X)                                                                                          \
    X(g_log_set_handler) X(g_log_remove_handler) X(g_bytes_new_static) X(g_bytes_unref) X(g_free) X(g_object_unref) \
    X(g_error_free) X(poppler_document_new_from_bytes) X(poppler_document_get_n_pages) X(poppler_document_get_title) \
    X(poppler_document_get_author) X(poppler_document_get_page) X(poppler_page_get_text)

#define PK_CURL_FNS(X)                                                                                             \
    X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset) X(curl_easy_setopt)            \
    X(curl_easy_getinfo) X(curl_easy_perform) X(curl_easy_pause) X(curl_easy_strerror) X(curl_slist_append)      \
    X(curl_slist_free_all) X(curl_multi_init) X(curl_multi_cleanup) X(curl_multi_add_handle)                      \
    X(curl_multi_remove_handle) X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read)                 \
    X(curl_multi_strerror) X(curl_free) X(curl_url) X(curl_url_cleanup) X(curl_url_get) X(curl_url_set)          \
    X(curl_url_strerror)

#define PK_QPDF_FNS(X)                                                                                               \
    X(qpdf_init) X(qpdf_cleanup) X(qpdf_silence_errors) X(qpdf_set_suppress_warnings) X(qpdf_read_memory) \
    X(qpdf_get_error) X(qpdf_get_error_full_text) X(qpdf_has_error) X(qpdf_get_root) X(qpdf_oh_get_key) \
    X(qpdf_oh_is_stream) X(qpdf_oh_get_stream_data) X(qpdf_oh_new_stream) X(qpdf_oh_get_dict) \
    X(qpdf_oh_replace_key) X(qpdf_oh_new_name) X(qpdf_oh_replace_stream_data) X(qpdf_oh_new_null) \
    X(qpdf_init_write_memory) X(qpdf_write) X(qpdf_get_buffer_length) X(qpdf_get_buffer)

#define PK_MHD_FNS(X)                                                                                                \
    X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_lookup_connection_value) X(MHD_get_connection_values) \
    X(MHD_get_connection_info) X(MHD_create_response_from_buffer) X(MHD_create_response_from_callback) \
    X(MHD_add_response_header) X(MHD_queue_response) X(MHD_destroy_response)

#define PK_XML_FNS(X)                                                                                                \
    X(xmlInitParser) X(xmlFree) X(__xmlGenericError) X(__xmlGenericErrorContext) X(__xmlStructuredError) \
    X(__xmlStructuredErrorContext) X(xmlSetGenericErrorFunc) X(xmlSetStructuredErrorFunc) \
    X(htmlEntityValueLookup) X(htmlReadMemory) X(xmlCreateMemoryParserCtxt) X(xmlCtxtUseOptions) \
    X(xmlDocGetRootElement) X(xmlFreeDoc) X(xmlFreeParserCtxt) X(xmlGetProp) X(xmlHasProp) X(xmlNodeGetContent) \
    X(xmlParseDocument) X(xmlReadMemory) X(xmlSAX2GetLineNumber) X(xmlStopParser)

#define PK_ARCHIVE_FNS(X)                                                                                            \
    X(archive_entry_filetype) X(archive_entry_free) X(archive_entry_hardlink) X(archive_entry_mtime) \
    X(archive_entry_new) X(archive_entry_pathname) X(archive_entry_perm) X(archive_entry_set_filetype) \
    X(archive_entry_set_mtime) X(archive_entry_set_pathname) X(archive_entry_set_perm) X(archive_entry_set_size) \
    X(archive_entry_size) X(archive_entry_size_is_set) X(archive_error_string) X(archive_filter_bytes) \
    X(archive_read_data) X(archive_read_free) X(archive_read_header_position) X(archive_read_new) \
    X(archive_read_next_header) X(archive_read_open) X(archive_read_open_memory) \
    X(archive_read_support_format_gnutar) X(archive_read_support_format_tar) X(archive_read_support_format_zip) \
    X(archive_set_error) X(archive_write_close) X(archive_write_data) X(archive_write_free) \
    X(archive_write_header) X(archive_write_new) X(archive_write_open2) X(archive_write_set_format_zip) \
    X(archive_write_zip_set_compression_deflate) X(archive_write_zip_set_compression_store)

#define PK_LAZY_FIELD(f) __typeof__(&f) f;

#ifdef PK_LAZY_POPPLER
#include <poppler.h>
typedef struct pk_poppler_fns {
    PK_POPPLER_FNS(PK_LAZY_FIELD)
} pk_poppler_fns;
extern pk_poppler_fns pk_poppler_fns_;
#ifndef PK_LAZY_IMPL /* lazy.c names the functions themselves */
#define g_log_set_handler pk_poppler_fns_.g_log_set_handler
#define g_log_remove_handler pk_poppler_fns_.g_log_remove_handler
#define g_bytes_new_static pk_poppler_fns_.g_bytes_new_static
#define g_bytes_unref pk_poppler_fns_.g_bytes_unref
#define g_free pk_poppler_fns_.g_free
#define g_object_unref pk_poppler_fns_.g_object_unref
#define g_error_free pk_poppler_fns_.g_error_free
#define poppler_document_new_from_bytes pk_poppler_fns_.poppler_document_new_from_bytes
#define poppler_document_get_n_pages pk_poppler_fns_.poppler_document_get_n_pages
#define poppler_document_get_title pk_poppler_fns_.poppler_document_get_title
#define poppler_document_get_author pk_poppler_fns_.poppler_document_get_author
#define poppler_document_get_page pk_poppler_fns_.poppler_document_get_page
#define poppler_page_get_text pk_poppler_fns_.poppler_page_get_text
#endif
#endif

#ifdef PK_LAZY_CURL
/* No type-checking wrappers around curl_easy_setopt and the like: they
 * are macros that call the library's functions by name. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
typedef struct pk_curl_fns {
    PK_CURL_FNS(PK_LAZY_FIELD)
} pk_curl_fns;
extern pk_curl_fns pk_curl_fns_;
#ifndef PK_LAZY_IMPL
#define curl_global_init pk_curl_fns_.curl_global_init
#define curl_easy_init pk_curl_fns_.curl_easy_init
#define curl_easy_cleanup pk_curl_fns_.curl_easy_cleanup
#define curl_easy_reset pk_curl_fns_.curl_easy_reset
#undef curl_easy_setopt /* curl.h's: it checks there are three arguments */
#undef curl_easy_getinfo
#define curl_easy_setopt pk_curl_fns_.curl_easy_setopt
#define curl_easy_getinfo pk_curl_fns_.curl_easy_getinfo
#define curl_easy_perform pk_curl_fns_.curl_easy_perform
#define curl_easy_pause pk_curl_fns_.curl_easy_pause
#define curl_easy_strerror pk_curl_fns_.curl_easy_strerror
#define curl_slist_append pk_curl_fns_.curl_slist_append
#define curl_slist_free_all pk_curl_fns_.curl_slist_free_all
#define curl_multi_init pk_curl_fns_.curl_multi_init
#define curl_multi_cleanup pk_curl_fns_.curl_multi_cleanup
#define curl_multi_add_handle pk_curl_fns_.curl_multi_add_handle
#define curl_multi_remove_handle pk_curl_fns_.curl_multi_remove_handle
#define curl_multi_perform pk_curl_fns_.curl_multi_perform
#define curl_multi_poll pk_curl_fns_.curl_multi_poll
#define curl_multi_info_read pk_curl_fns_.curl_multi_info_read
#define curl_multi_strerror pk_curl_fns_.curl_multi_strerror
#define curl_free pk_curl_fns_.curl_free
#define curl_url pk_curl_fns_.curl_url
#define curl_url_cleanup pk_curl_fns_.curl_url_cleanup
#define curl_url_get pk_curl_fns_.curl_url_get
#define curl_url_set pk_curl_fns_.curl_url_set
#define curl_url_strerror pk_curl_fns_.curl_url_strerror
#endif
#endif

#ifdef PK_LAZY_QPDF
#include <qpdf/qpdf-c.h>
typedef struct pk_qpdf_fns {
    PK_QPDF_FNS(PK_LAZY_FIELD)
} pk_qpdf_fns;
extern pk_qpdf_fns pk_qpdf_fns_;
#ifndef PK_LAZY_IMPL
#define qpdf_init pk_qpdf_fns_.qpdf_init
#define qpdf_cleanup pk_qpdf_fns_.qpdf_cleanup
#define qpdf_silence_errors pk_qpdf_fns_.qpdf_silence_errors
#define qpdf_set_suppress_warnings pk_qpdf_fns_.qpdf_set_suppress_warnings
#define qpdf_read_memory pk_qpdf_fns_.qpdf_read_memory
#define qpdf_get_error pk_qpdf_fns_.qpdf_get_error
#define qpdf_get_error_full_text pk_qpdf_fns_.qpdf_get_error_full_text
#define qpdf_has_error pk_qpdf_fns_.qpdf_has_error
#define qpdf_get_root pk_qpdf_fns_.qpdf_get_root
#define qpdf_oh_get_key pk_qpdf_fns_.qpdf_oh_get_key
#define qpdf_oh_is_stream pk_qpdf_fns_.qpdf_oh_is_stream
#define qpdf_oh_get_stream_data pk_qpdf_fns_.qpdf_oh_get_stream_data
#define qpdf_oh_new_stream pk_qpdf_fns_.qpdf_oh_new_stream
#define qpdf_oh_get_dict pk_qpdf_fns_.qpdf_oh_get_dict
#define qpdf_oh_replace_key pk_qpdf_fns_.qpdf_oh_replace_key
#define qpdf_oh_new_name pk_qpdf_fns_.qpdf_oh_new_name
#define qpdf_oh_replace_stream_data pk_qpdf_fns_.qpdf_oh_replace_stream_data
#define qpdf_oh_new_null pk_qpdf_fns_.qpdf_oh_new_null
#define qpdf_init_write_memory pk_qpdf_fns_.qpdf_init_write_memory
#define qpdf_write pk_qpdf_fns_.qpdf_write
#define qpdf_get_buffer_length pk_qpdf_fns_.qpdf_get_buffer_length
#define qpdf_get_buffer pk_qpdf_fns_.qpdf_get_buffer
#endif
#endif

#ifdef PK_LAZY_MHD
#include <microhttpd.h>
typedef struct pk_mhd_fns {
    PK_MHD_FNS(PK_LAZY_FIELD)
} pk_mhd_fns;
extern pk_mhd_fns pk_mhd_fns_;
#ifndef PK_LAZY_IMPL
#define MHD_start_daemon pk_mhd_fns_.MHD_start_daemon
#define MHD_stop_daemon pk_mhd_fns_.MHD_stop_daemon
#define MHD_lookup_connection_value pk_mhd_fns_.MHD_lookup_connection_value
#define MHD_get_connection_values pk_mhd_fns_.MHD_get_connection_values
#define MHD_get_connection_info pk_mhd_fns_.MHD_get_connection_info
#define MHD_create_response_from_buffer pk_mhd_fns_.MHD_create_response_from_buffer
#define MHD_create_response_from_callback pk_mhd_fns_.MHD_create_response_from_callback
#define MHD_add_response_header pk_mhd_fns_.MHD_add_response_header
#define MHD_queue_response pk_mhd_fns_.MHD_queue_response
#define MHD_destroy_response pk_mhd_fns_.MHD_destroy_response
#endif
#endif

#ifdef PK_LAZY_XML
/* Every libxml2 header picket uses, before the names become macros. */
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
typedef struct pk_xml_fns {
    PK_XML_FNS(PK_LAZY_FIELD)
} pk_xml_fns;
extern pk_xml_fns pk_xml_fns_;
#ifndef PK_LAZY_IMPL
/* xmlFree is a variable (a pointer to libxml2's free): the table holds
 * its address.  xmlGenericError and the like are globals.h's macros over
 * the __xml functions below. */
#undef xmlFree
#define xmlFree (*pk_xml_fns_.xmlFree)
#define xmlInitParser pk_xml_fns_.xmlInitParser
#define __xmlGenericError pk_xml_fns_.__xmlGenericError
#define __xmlGenericErrorContext pk_xml_fns_.__xmlGenericErrorContext
#define __xmlStructuredError pk_xml_fns_.__xmlStructuredError
#define __xmlStructuredErrorContext pk_xml_fns_.__xmlStructuredErrorContext
#define xmlSetGenericErrorFunc pk_xml_fns_.xmlSetGenericErrorFunc
#define xmlSetStructuredErrorFunc pk_xml_fns_.xmlSetStructuredErrorFunc
#define htmlEntityValueLookup pk_xml_fns_.htmlEntityValueLookup
#define htmlReadMemory pk_xml_fns_.htmlReadMemory
#define xmlCreateMemoryParserCtxt pk_xml_fns_.xmlCreateMemoryParserCtxt
#define xmlCtxtUseOptions pk_xml_fns_.xmlCtxtUseOptions
#define xmlDocGetRootElement pk_xml_fns_.xmlDocGetRootElement
#define xmlFreeDoc pk_xml_fns_.xmlFreeDoc
#define xmlFreeParserCtxt pk_xml_fns_.xmlFreeParserCtxt
#define xmlGetProp pk_xml_fns_.xmlGetProp
#define xmlHasProp pk_xml_fns_.xmlHasProp
#define xmlNodeGetContent pk_xml_fns_.xmlNodeGetContent
#define xmlParseDocument pk_xml_fns_.xmlParseDocument
#define xmlReadMemory pk_xml_fns_.xmlReadMemory
#define xmlSAX2GetLineNumber pk_xml_fns_.xmlSAX2GetLineNumber
#define xmlStopParser pk_xml_fns_.xmlStopParser
#endif
#endif

#ifdef PK_LAZY_ARCHIVE
#include <archive.h>
#include <archive_entry.h>
typedef struct pk_archive_fns {
    PK_ARCHIVE_FNS(PK_LAZY_FIELD)
} pk_archive_fns;
extern pk_archive_fns pk_archive_fns_;
#ifndef PK_LAZY_IMPL
#define archive_entry_filetype pk_archive_fns_.archive_entry_filetype
#define archive_entry_free pk_archive_fns_.archive_entry_free
#define archive_entry_hardlink pk_archive_fns_.archive_entry_hardlink
#define archive_entry_mtime pk_archive_fns_.archive_entry_mtime
#define archive_entry_new pk_archive_fns_.archive_entry_new
#define archive_entry_pathname pk_archive_fns_.archive_entry_pathname
#define archive_entry_perm pk_archive_fns_.archive_entry_perm
#define archive_entry_set_filetype pk_archive_fns_.archive_entry_set_filetype
#define archive_entry_set_mtime pk_archive_fns_.archive_entry_set_mtime
#define archive_entry_set_pathname pk_archive_fns_.archive_entry_set_pathname
#define archive_entry_set_perm pk_archive_fns_.archive_entry_set_perm
#define archive_entry_set_size pk_archive_fns_.archive_entry_set_size
#define archive_entry_size pk_archive_fns_.archive_entry_size
#define archive_entry_size_is_set pk_archive_fns_.archive_entry_size_is_set
#define archive_error_string pk_archive_fns_.archive_error_string
#define archive_filter_bytes pk_archive_fns_.archive_filter_bytes
#define archive_read_data pk_archive_fns_.archive_read_data
#define archive_read_free pk_archive_fns_.archive_read_free
#define archive_read_header_position pk_archive_fns_.archive_read_header_position
#define archive_read_new pk_archive_fns_.archive_read_new
#define archive_read_next_header pk_archive_fns_.archive_read_next_header
#define archive_read_open pk_archive_fns_.archive_read_open
#define archive_read_open_memory pk_archive_fns_.archive_read_open_memory
#define archive_read_support_format_gnutar pk_archive_fns_.archive_read_support_format_gnutar
#define archive_read_support_format_tar pk_archive_fns_.archive_read_support_format_tar
#define archive_read_support_format_zip pk_archive_fns_.archive_read_support_format_zip
#define archive_set_error pk_archive_fns_.archive_set_error
#define archive_write_close pk_archive_fns_.archive_write_close
#define archive_write_data pk_archive_fns_.archive_write_data
#define archive_write_free pk_archive_fns_.archive_write_free
#define archive_write_header pk_archive_fns_.archive_write_header
#define archive_write_new pk_archive_fns_.archive_write_new
#define archive_write_open2 pk_archive_fns_.archive_write_open2
#define archive_write_set_format_zip pk_archive_fns_.archive_write_set_format_zip
#define archive_write_zip_set_compression_deflate pk_archive_fns_.archive_write_zip_set_compression_deflate
#define archive_write_zip_set_compression_store pk_archive_fns_.archive_write_zip_set_compression_store
#endif
#endif

/* Open the library once (thread-safe) and fill its table: 0, or
 * PK_EIO with the loader's message in err. */
int pk_lazy_poppler(pk_error *err);
int pk_lazy_curl(pk_error *err);
int pk_lazy_qpdf(pk_error *err);
int pk_lazy_mhd(pk_error *err);
int pk_lazy_xml(pk_error *err);
int pk_lazy_archive(pk_error *err);

#endif
