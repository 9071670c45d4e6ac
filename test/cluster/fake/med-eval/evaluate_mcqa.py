#!/bin/bash
exec bash "$(dirname "$0")/common.sh" Accuracy,Norm_accuracy "$@"
