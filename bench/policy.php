<?php // SPDX-License-Identifier: ISC
header("Content-Type: text/plain; charset=utf-8");
echo "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n";
