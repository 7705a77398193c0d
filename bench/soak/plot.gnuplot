# bench/soak/plot.gnuplot: the soak's chart, from the TSV rapport_soak writes
# (columns: minute, rss_mib, fds, threads, p50_ms, p99_ms, calls, errors, late,
# sst_fds).
#
#   gnuplot -e "datafile='bench/results/soak.tsv'; outfile='bench/results/soak.svg'" bench/soak/plot.gnuplot
#
# Top: rapportd's resident memory (left axis) and the p99 of each sample's
# calls (right axis). Bottom: open file descriptors (all, and RocksDB's .sst
# tables among them, which follow the data's size) and threads.
if (!exists("datafile")) datafile = 'bench/results/soak.tsv'
if (!exists("outfile")) outfile = 'bench/results/soak.svg'

set datafile separator "\t"
set terminal svg size 1000, 700 dynamic font "DejaVu Sans,11"
set output outfile
set multiplot layout 2, 1 title "Rapport soak (bench/soak/run): rapportd with SFA and VOC under a fixed-rate mixed load"
set grid
set key top left
set xlabel "minutes"

set ylabel "RSS (MiB)"
set y2label "p99 (ms)"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
plot datafile using 1:2 every ::1 with lines lw 2 title "RSS (MiB)", \
     datafile using 1:6 every ::1 axes x1y2 with linespoints pt 7 ps 0.4 title "p99 of the sample's calls (ms)"

unset y2label
unset y2tics
set ytics mirror
set ylabel "count"
plot datafile using 1:3 every ::1 with lines lw 2 title "open file descriptors", \
     datafile using 1:10 every ::1 with lines lw 1 dt 2 title ".sst tables among them", \
     datafile using 1:4 every ::1 with lines lw 2 title "threads"
unset multiplot
