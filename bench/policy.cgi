#!/bin/sh
# SPDX-License-Identifier: ISC
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n'
