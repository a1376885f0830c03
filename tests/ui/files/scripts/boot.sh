#!/bin/sh
echo "booted ${HOSTNAME}"
