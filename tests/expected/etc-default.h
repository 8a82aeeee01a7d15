/* SPDX-License-Identifier: ISC */
/*
 * etc-default.txt with the CGI headers the responder writes before it:
 * the whole response for etc/mta-sts-fcgi.ini's [policy], as a C string.
 * The unit tests expect it, and bench/minimal.c (the benchmarks' floor)
 * answers it, so that it sends the bytes the responder it is measured
 * against sends.
 */
#ifndef EXPECTED_ETC_DEFAULT_H
#define EXPECTED_ETC_DEFAULT_H

#define ETC_DEFAULT_RESPONSE						\
    "Status: 200 OK\r\n"						\
    "Content-Type: text/plain; charset=utf-8\r\n"			\
    "Content-Length: 89\r\n"						\
    "\r\n"								\
    "version: STSv1\r\n"						\
    "mode: enforce\r\n"							\
    "mx: mail.example.com\r\n"						\
    "mx: *.example.net\r\n"						\
    "max_age: 604800\r\n"

#endif
