# Tests of probust-cli, run by ctest as
#   cmake -DCLI=<probust-cli> -DDATA_DIR=<examples/data> -DWORK_DIR=<scratch> -DCASE=<case>
#         -P test_cli.cmake
# Each CASE is one ctest test (examples/cli/CMakeLists.txt). They use the first rows of the
# bundled digits and small sample counts, so that they stay fast under the sanitizers.

foreach(_var CLI DATA_DIR WORK_DIR CASE)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "test_cli.cmake: -D${_var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# The bundled digits: 64 pixels 0..16, then the label; the networks expect pixels / 16.
set(DIGITS --model "${DATA_DIR}/digits_tanh_64_64_10.model" --inputs "${DATA_DIR}/digits.csv"
           --label-column last --input-scale 0.0625 --no-progress)

# cli(<expected exit code> <arguments>...): runs probust-cli in WORK_DIR and fails unless it
# exits with the expected code; its stdout and stderr are left in OUT and ERR.
function(cli expected)
  execute_process(COMMAND "${CLI}" ${ARGN} WORKING_DIRECTORY "${WORK_DIR}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT "${rc}" STREQUAL "${expected}")
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "probust-cli ${command}\nexit code ${rc}, expected ${expected}\n"
                        "stdout:\n${out}\nstderr:\n${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
  set(ERR "${err}" PARENT_SCOPE)
endfunction()

# expect_match(<text> <regex> <what>): fails unless the text matches.
function(expect_match text regex what)
  if(NOT "${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${what}: expected a match of '${regex}' in:\n${text}")
  endif()
endfunction()

# expect_missing(<file>...): fails if a file (or a partial file of it) exists.
function(expect_missing)
  foreach(f IN LISTS ARGN)
    if(EXISTS "${WORK_DIR}/${f}")
      message(FATAL_ERROR "${WORK_DIR}/${f} exists after a failed run")
    endif()
    expect_no_partial("${f}")
  endforeach()
endfunction()

# expect_no_partial(<file>): fails if a partial file of <file> (<file>.partial*) is left.
function(expect_no_partial f)
  file(GLOB partials "${WORK_DIR}/${f}.partial*")
  if(partials)
    message(FATAL_ERROR "partial files left behind: ${partials}")
  endif()
endfunction()

# expect_file(<file> <content>): fails unless the file holds exactly <content>.
function(expect_file f content)
  file(READ "${WORK_DIR}/${f}" actual)
  if(NOT actual STREQUAL content)
    message(FATAL_ERROR "${f} changed: expected '${content}', found '${actual}'")
  endif()
endfunction()

# without_seconds(<file> <variable>): the file's content with the `seconds` column (the
# only one that is not reproducible) removed, for CSV (the 16th of 18 fields) or JSON Lines.
function(without_seconds file variable)
  file(READ "${WORK_DIR}/${file}" content)
  if(content MATCHES "^{")
    string(REGEX REPLACE "\"seconds\":[^,]*," "" content "${content}")
  else()
    string(REPEAT "[^,\n]*," 15 skip)
    string(REGEX REPLACE "\n(${skip})[^,\n]*" "\n\\1" content "${content}")
  endif()
  set(${variable} "${content}" PARENT_SCOPE)
endfunction()

# expect_same_rows(<file a> <file b>): the files are equal except for `seconds`.
function(expect_same_rows a b)
  without_seconds("${a}" ca)
  without_seconds("${b}" cb)
  if(NOT ca STREQUAL cb)
    file(WRITE "${WORK_DIR}/${a}.noseconds" "${ca}")
    file(WRITE "${WORK_DIR}/${b}.noseconds" "${cb}")
    message(FATAL_ERROR "${a} and ${b} differ beyond the seconds column "
                        "(compare ${WORK_DIR}/${a}.noseconds and ${b}.noseconds)")
  endif()
endfunction()

# expect_csv_shape(<file> <rows>): a header with the 18 columns and <rows> lines of 18 fields.
function(expect_csv_shape file rows)
  file(STRINGS "${WORK_DIR}/${file}" lines)
  list(LENGTH lines count)
  math(EXPR expected "${rows} + 1")
  if(NOT count EQUAL expected)
    message(FATAL_ERROR "${file}: ${count} lines, expected ${expected}")
  endif()
  list(GET lines 0 header)
  if(NOT header STREQUAL "point_id,label,estimator,sigma,predicted_class,probability,lower,upper,complement,error,converged,model_evaluations,samples,jacobian,variance_reduction,seconds,status,message")
    message(FATAL_ERROR "${file}: unexpected header '${header}'")
  endif()
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "[^,]" "" commas "${line}")
    string(LENGTH "${commas}" n)
    if(NOT n EQUAL 17)
      message(FATAL_ERROR "${file}: a line without 18 fields: ${line}")
    endif()
  endforeach()
endfunction()

# ---------------------------------------------------------------------------------------------
if(CASE STREQUAL "help")
  cli(0 --help)
  foreach(word estimate merge summary "Exit status" "--shard")
    expect_match("${OUT}" "${word}" "--help")
  endforeach()
  cli(0 help)
  expect_match("${OUT}" "usage: probust-cli COMMAND" "help")
  cli(0 estimate --help)
  foreach(option --model --input-shape --inputs --label-column --header --input-scale --rows --estimators
                 --sigma --sigmas --samples --mmse-samples --target-half-width --confidence
                 --interval --seed --abs-tol --paper-settings --threads --shard --no-progress
                 --output --format taylor mmse monte_carlo control_variate softmax
                 taylor_mv_sigmoid mmse_mv_sigmoid "Default" "Exit status")
    expect_match("${OUT}" "${option}" "estimate --help")
  endforeach()
  cli(0 help merge)
  foreach(option "usage: probust-cli merge" --output --format --allow-gaps --expect-points)
    expect_match("${OUT}" "${option}" "merge --help")
  endforeach()
  cli(0 summary -h)
  foreach(option "usage: probust-cli summary" --estimator --sigma --by --top --confidence
                 --reference)
    expect_match("${OUT}" "${option}" "summary --help")
  endforeach()
  cli(0 --version)
  expect_match("${OUT}" "^probust-cli \\(probust [0-9]+\\.[0-9]+\\.[0-9]+\\)" "--version")

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "estimate")
  cli(0 estimate ${DIGITS} --rows 0:40 --estimators taylor,monte_carlo --sigma 0.1
        --samples 400 --output est.csv)
  expect_csv_shape(est.csv 80)
  expect_match("${ERR}" "80 rows \\(40 points, 2 estimators, 1 sigma\\) written to est.csv; 0 with status error"
               "closing line")
  expect_no_partial(est.csv)
  file(STRINGS "${WORK_DIR}/est.csv" lines)
  list(GET lines 1 first)
  list(GET lines 2 second)
  list(GET lines 80 last)
  expect_match("${first}" "^0,0,taylor,0.1,0," "row 1 (point 0, label 0)")
  expect_match("${second}" "^0,0,monte_carlo,.*,400,not_used,.*,ok,$" "row 2")
  expect_match("${last}" "^39,[0-9],monte_carlo," "last row")

  # JSON Lines, chosen by the extension; the same rows.
  cli(0 estimate ${DIGITS} --rows 0:40 --estimators taylor,monte_carlo --sigma 0.1
        --samples 400 --output est.jsonl)
  file(STRINGS "${WORK_DIR}/est.jsonl" lines)
  list(LENGTH lines count)
  if(NOT count EQUAL 80)
    message(FATAL_ERROR "est.jsonl: ${count} lines, expected 80")
  endif()
  cli(0 merge --format csv --output est_from_jsonl.csv est.jsonl)
  expect_same_rows(est.csv est_from_jsonl.csv)

  # stdout, a header line in the file, --rows without an end. The header is RFC 4180 CSV:
  # its first field is quoted and holds a comma and a line break.
  file(STRINGS "${DATA_DIR}/digits.csv" digits LIMIT_COUNT 3)
  set(header "\"pixel 1, top\nleft\",")
  foreach(i RANGE 2 64)
    string(APPEND header "pixel${i},")
  endforeach()
  list(JOIN digits "\n" body)
  file(WRITE "${WORK_DIR}/with_header.csv" "${header}label\n${body}\n")
  cli(0 estimate --model "${DATA_DIR}/digits_tanh_64_64_10.model" --inputs with_header.csv
        --label-column last --input-scale 0.0625 --sigma 0.2 --rows 1:)
  expect_match("${OUT}" "^point_id,[^\n]*\n1,1,taylor,0.2,[^\n]*\n2,2,taylor,[^\n]*\n$"
               "stdout output of rows 1: of a file with a header")


  # A point whose estimates fail (x overflows to inf after --input-scale) gives rows with
  # status error and the reason, not a failed command; the closing line counts them.
  list(GET digits 0 line1)
  string(REPEAT "1e300," 64 huge)
  file(WRITE "${WORK_DIR}/huge.csv" "${line1}\n${huge}3\n")
  cli(0 estimate --model "${DATA_DIR}/digits_tanh_64_64_10.model" --inputs huge.csv
        --label-column last --input-scale 1e10 --sigma 0.1 --estimators taylor,monte_carlo
        --samples 100 --output huge_out.csv)
  expect_match("${ERR}" "4 rows \\(2 points, 2 estimators, 1 sigma\\) written to huge_out.csv; 2 with status error"
               "error rows counted")
  file(READ "${WORK_DIR}/huge_out.csv" text)
  expect_match("${text}" "\n0,0,taylor,[^\n]*,ok,\n" "point 0 is fine")
  expect_match("${text}" "\n1,3,taylor,0.1,-1,[^\n]*,error,\"probust::taylor_estimator::estimate: x has a non-finite entry[^\n]*\"\n"
               "point 1 is an error row")
  cli(0 summary huge_out.csv --estimator taylor)
  expect_match("${OUT}" "\n +3 +0 +1 +-\n" "summary counts the error row of class 3")

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "shards_merge")
  set(run estimate ${DIGITS} --rows 0:40 --estimators taylor,monte_carlo,mmse
          --sigmas 0.1,0.3 --samples 300)
  cli(0 ${run} --output full.csv)
  expect_csv_shape(full.csv 240)
  foreach(i 0 1 2)
    cli(0 ${run} --shard ${i}/3 --output part${i}.jsonl)
    cli(0 ${run} --shard ${i}/3 --threads 1 --output part${i}.csv)
  endforeach()
  # JSON Lines parts, given out of order, merged to CSV: the unsharded file.
  cli(0 merge --output merged.csv part2.jsonl part0.jsonl part1.jsonl)
  expect_match("${ERR}" "merged 3 parts: 240 rows, 40 points" "merge closing line")
  expect_same_rows(full.csv merged.csv)
  # CSV parts merged to JSON Lines equal the unsharded file converted by a one-part merge.
  cli(0 merge --output full.jsonl full.csv)
  cli(0 merge --output merged.jsonl --expect-points 40 part0.csv part1.csv part2.csv)
  expect_same_rows(full.jsonl merged.jsonl)
  # To stdout, in the format of the parts.
  cli(0 merge part0.jsonl part1.jsonl part2.jsonl)
  file(WRITE "${WORK_DIR}/merged_stdout.jsonl" "${OUT}")
  expect_same_rows(full.jsonl merged_stdout.jsonl)

  # Any 64-bit shard count: the last of 2^63 shards of 41 points is point 40 (the block
  # boundaries ⌊i·n/N⌋ used to overflow for N ≥ 2^32).
  cli(0 estimate ${DIGITS} --rows 0:41 --sigma 0.1
        --shard 9223372036854775807/9223372036854775808 --output last.csv)
  expect_csv_shape(last.csv 1)
  file(STRINGS "${WORK_DIR}/last.csv" lines)
  list(GET lines 1 row)
  expect_match("${row}" "^40," "the last of 2^63 shards")

  # More shards than points: an empty shard is a header-only file, and merges.
  set(tiny estimate ${DIGITS} --rows 0:2 --estimators taylor,softmax --sigma 0.5)
  cli(0 ${tiny} --output tiny.csv)
  foreach(i 0 1 2)
    cli(0 ${tiny} --shard ${i}/3 --output tiny${i}.csv)
  endforeach()
  expect_csv_shape(tiny0.csv 0)
  cli(0 merge --output tiny_merged.csv tiny0.csv tiny1.csv tiny2.csv)
  expect_same_rows(tiny.csv tiny_merged.csv)

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "threads")
  set(run estimate ${DIGITS} --rows 0:40 --estimators monte_carlo,control_variate,mmse,taylor
          --sigma 0.2 --samples 300 --seed 12345)
  cli(0 ${run} --threads 1 --output one.csv)
  cli(0 ${run} --threads 2 --output two.csv)
  cli(0 ${run} --threads 0 --output all.csv)
  expect_same_rows(one.csv two.csv)
  expect_same_rows(one.csv all.csv)
  # Another seed gives other Monte-Carlo rows (the seed reaches the estimators).
  cli(0 estimate ${DIGITS} --rows 0:40 --estimators monte_carlo,control_variate,mmse,taylor
        --sigma 0.2 --samples 300 --output other_seed.csv)
  without_seconds(one.csv a)
  without_seconds(other_seed.csv b)
  if(a STREQUAL b)
    message(FATAL_ERROR "--seed has no effect")
  endif()

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "errors")
  set(model --model "${DATA_DIR}/digits_tanh_64_64_10.model")
  # A non-number on line 3, column 7.
  file(STRINGS "${DATA_DIR}/digits.csv" digits LIMIT_COUNT 5)
  list(GET digits 2 line3)
  string(REPEAT "[^,]*," 6 skip)
  string(REGEX REPLACE "^(${skip})[^,]*" "\\1x" line3 "${line3}")
  list(REMOVE_AT digits 2)
  list(INSERT digits 2 "${line3}")
  list(JOIN digits "\n" text)
  file(WRITE "${WORK_DIR}/bad.csv" "${text}\n")
  cli(1 estimate ${model} --inputs bad.csv --label-column last --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "^probust-cli: bad.csv:3: column 7: 'x' is not a number\n" "bad number")
  expect_match("${ERR}" "out.csv was not written" "failed run note")
  expect_missing(out.csv)

  # A short line: the wrong number of fields.
  list(GET digits 0 line1)
  list(GET digits 1 line2)
  string(REGEX REPLACE ",[^,]*$" "" line2 "${line2}")
  file(WRITE "${WORK_DIR}/short.csv" "${line1}\n${line2}\n")
  cli(1 estimate ${model} --inputs short.csv --label-column last --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "^probust-cli: short.csv:2: 64 fields, expected 65" "short line")
  expect_missing(out.csv)

  # The label column counted as a feature: the model's input size differs.
  cli(1 estimate ${model} --inputs "${DATA_DIR}/digits.csv" --rows 0:3 --sigma 0.1
        --output out.csv)
  expect_match("${ERR}" "expects 64 inputs but .* has 65 feature columns .*--label-column"
               "input size")
  expect_missing(out.csv)

  # A model file that does not exist, or is malformed.
  cli(1 estimate --model nope.model --inputs bad.csv --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "^probust-cli: cannot open model file 'nope.model'" "missing model")
  expect_missing(out.csv)
  file(WRITE "${WORK_DIR}/broken.model" "probust-model 1\ninput 64\nlayers one\n")
  cli(1 estimate --model broken.model --inputs bad.csv --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "^probust-cli: broken.model:3: " "malformed model")
  expect_missing(out.csv)

  # A directory, or a stream without line ends, as the model file.
  cli(1 estimate --model . --inputs bad.csv --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "^probust-cli: '.' is a directory, not a model file" "model directory")
  expect_missing(out.csv)
  if(EXISTS /dev/zero)
    cli(1 estimate --model /dev/zero --inputs bad.csv --sigma 0.1 --output out.csv)
    expect_match("${ERR}" "^probust-cli: /dev/zero:1: line longer than 67108864 characters"
                 "endless model file")
    expect_missing(out.csv)
  endif()

  # A missing inputs file; --rows beyond the end.
  cli(1 estimate ${model} --inputs nothere.csv --sigma 0.1 --output out.csv)
  expect_match("${ERR}" "cannot open inputs file 'nothere.csv'" "missing inputs")
  cli(1 estimate ${model} --inputs bad.csv --label-column last --sigma 0.1 --rows 0:9)
  expect_match("${ERR}" "bad.csv' has only 5 data rows" "--rows beyond the end")

  # A failed run leaves an older output file as it was.
  file(WRITE "${WORK_DIR}/keep.csv" "old\n")
  cli(1 estimate ${model} --inputs bad.csv --label-column last --sigma 0.1 --output keep.csv)
  file(READ "${WORK_DIR}/keep.csv" kept)
  if(NOT kept STREQUAL "old\n")
    message(FATAL_ERROR "a failed run changed keep.csv")
  endif()
  expect_no_partial(keep.csv)

  # Bad command lines: exit code 2, nothing written.
  set(ok estimate ${model} --inputs bad.csv --label-column last --output out.csv)
  cli(2 ${ok} --sigma 0.1 --bogus)
  expect_match("${ERR}" "^probust-cli: unknown option '--bogus'" "unknown option")
  cli(2 ${ok} --sigma abc)
  expect_match("${ERR}" "^probust-cli: --sigma: 'abc' is not a number" "bad number option")
  cli(2 ${ok} --sigmas 0.1,0)
  expect_match("${ERR}" "--sigmas: 0 is not positive" "sigma 0")
  cli(2 ${ok} --sigma -0.5)
  cli(2 ${ok})
  expect_match("${ERR}" "--sigma or --sigmas is required" "no sigma")
  cli(2 ${ok} --sigma 0.1 --shard 3/3)
  expect_match("${ERR}" "--shard: shard index 3 must be below the shard count 3" "bad shard")
  cli(2 ${ok} --sigma 0.1 --shard 1)
  cli(2 ${ok} --sigma 0.1 --samples)
  expect_match("${ERR}" "--samples: missing value" "missing value")
  cli(2 ${ok} --sigma 0.1 --estimators taylor,nope)
  cli(2 ${ok} --sigma 0.1 --confidence 1.5)
  # A level the estimators cannot use is a command-line error, not error rows.
  cli(2 ${ok} --sigma 0.1 --confidence 1e-300)
  expect_match("${ERR}" "^probust-cli: --confidence: must lie in \\[1e-12, 1 - 1e-12\\]"
               "tiny level")
  cli(2 ${ok} --sigma 0.1 --samples 9007199254740993)
  expect_match("${ERR}" "--samples: at most 2\\^53" "samples above 2^53")
  cli(2 ${ok} --sigma 0.1 --threads two)
  cli(2 ${ok} --sigma 0.1 stray)
  cli(2 frobnicate)
  cli(2)
  expect_missing(out.csv)

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "merge_errors")
  set(run estimate ${DIGITS} --rows 0:30 --estimators taylor,softmax --sigmas 0.1,0.2)
  foreach(i 0 1 2)
    cli(0 ${run} --shard ${i}/3 --output part${i}.csv)
  endforeach()
  # A missing shard: the message names the files on both sides of the gap.
  cli(1 merge --output merged.csv part0.csv part2.csv)
  expect_match("${ERR}" "points 10 to 19 are missing between part0.csv .* and part2.csv"
               "gap")
  expect_missing(merged.csv)
  cli(0 merge --allow-gaps --output merged.csv part0.csv part2.csv)
  # A missing last shard is seen only with --expect-points.
  cli(0 merge part0.csv part1.csv)
  cli(1 merge --expect-points 30 part0.csv part1.csv)
  expect_match("${ERR}" "the parts have 20 points, --expect-points wants 30" "expect-points")
  # The same shard twice.
  cli(1 merge --output twice.csv part0.csv part1.csv part1.csv part2.csv)
  expect_match("${ERR}" "point 10 is in both part1.csv and part1.csv" "duplicate")
  expect_missing(twice.csv)
  # A shard of another run (other sigmas).
  cli(0 estimate ${DIGITS} --rows 0:30 --estimators taylor,softmax --sigmas 0.1,0.3
        --shard 1/3 --output other1.csv)
  cli(1 merge part0.csv other1.csv part2.csv)
  expect_match("${ERR}" "other1.csv and part0.csv come from different runs" "different runs")
  # A truncated part: its last point lost one row.
  file(STRINGS "${WORK_DIR}/part1.csv" lines)
  list(REMOVE_AT lines -1)
  list(JOIN lines "\n" text)
  file(WRITE "${WORK_DIR}/cut1.csv" "${text}\n")
  cli(1 merge part0.csv cut1.csv part2.csv)
  expect_match("${ERR}" "cut1.csv: point 19 has no row for sigma 0.2, estimator softmax"
               "truncated part")
  # A malformed part: file and line.
  string(REPLACE ",ok," ",maybe," text "${text}")
  file(WRITE "${WORK_DIR}/bad1.csv" "${text}\n")
  cli(1 merge part0.csv bad1.csv part2.csv)
  expect_match("${ERR}" "bad1.csv:2: column 'status': 'maybe' is not one of" "malformed part")
  cli(1 merge nothere.csv)
  expect_match("${ERR}" "cannot open 'nothere.csv'" "missing part")
  # A directory is not a part (it used to merge as an empty part).
  file(MAKE_DIRECTORY "${WORK_DIR}/adir")
  cli(1 merge --output m.csv part0.csv adir)
  expect_match("${ERR}" "^probust-cli: 'adir' is a directory, not a result file" "directory part")
  expect_missing(m.csv)
  cli(1 merge part0.csv .)
  expect_match("${ERR}" "'.' is a directory" "directory part .")
  # The output may not replace a part.
  file(READ "${WORK_DIR}/part0.csv" part0)
  cli(2 merge --output part0.csv part0.csv part1.csv part2.csv)
  expect_match("${ERR}" "--output part0.csv is the same file as part part0.csv" "output = part")
  expect_file(part0.csv "${part0}")
  cli(2 merge)
  cli(2 merge --bogus part0.csv)

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "summary")
  cli(0 estimate ${DIGITS} --rows 0:40 --estimators taylor,monte_carlo,softmax
        --sigmas 0.1,0.3 --samples 400 --output est.csv)
  cli(0 summary est.csv)
  foreach(text "est.csv: 240 rows, 40 points" "=== taylor, sigma 0.1 ===" "=== softmax, sigma 0.3 ==="
               "Robustness by true label" "Most vulnerable: the 10 points with the largest 1 - p"
               "=== agreement with monte_carlo, sigma 0.3 ===" "Spearman rho" "\n +taylor +40 ")
    expect_match("${OUT}" "${text}" "summary")
  endforeach()
  cli(0 summary est.csv --estimator taylor --sigma 0.3 --by predicted --top 3)
  expect_match("${OUT}" "Robustness by predicted class" "summary --by predicted")
  expect_match("${OUT}" "the 3 points with the largest" "summary --top 3")
  if(OUT MATCHES "sigma 0.1 ===")
    message(FATAL_ERROR "summary --sigma 0.3 printed sigma 0.1:\n${OUT}")
  endif()
  cli(1 summary est.csv --estimator nope)
  expect_match("${ERR}" "no rows of estimator 'nope'" "unknown estimator")
  cli(1 summary est.csv --sigma 0.7)
  cli(1 summary nothere.csv)
  cli(2 summary)
  cli(2 summary est.csv --by colour)

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "concurrent_output")
  # Three runs with the same --output at the same time (job-array tasks sharing a name):
  # each writes its own partial file and renames it, so all three succeed and the file is
  # one complete output. (They used to share FILE.partial: the later renames failed and
  # the file could mix the runs' bytes.) execute_process runs its COMMANDs concurrently.
  set(run "${CLI}" estimate ${DIGITS} --rows 0:60 --estimators taylor,monte_carlo
          --sigmas 0.1,0.2 --samples 200 --threads 1 --output same.csv)
  execute_process(COMMAND ${run} COMMAND ${run} COMMAND ${run}
                  WORKING_DIRECTORY "${WORK_DIR}" RESULTS_VARIABLE codes
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT codes STREQUAL "0;0;0")
    message(FATAL_ERROR "concurrent runs exited with ${codes}, expected 0;0;0:\n${err}")
  endif()
  string(REGEX MATCHALL "240 rows \\(60 points, 2 estimators, 2 sigmas\\) written to same.csv"
         closing "${err}")
  list(LENGTH closing n)
  if(NOT n EQUAL 3)
    message(FATAL_ERROR "expected 3 closing lines, found ${n}:\n${err}")
  endif()
  expect_csv_shape(same.csv 240)
  expect_no_partial(same.csv)
  # It reads back, and has the rows of a run on its own.
  cli(0 merge --output again.csv same.csv)
  cli(0 estimate ${DIGITS} --rows 0:60 --estimators taylor,monte_carlo --sigmas 0.1,0.2
        --samples 200 --output alone.csv)
  expect_same_rows(same.csv alone.csv)

  # A run stopped by SIGTERM or SIGINT leaves at most its partial file; an older FILE stays.
  find_program(TIMEOUT_PROGRAM timeout)
  if(TIMEOUT_PROGRAM)
    foreach(signal TERM INT)
      file(WRITE "${WORK_DIR}/stopped.csv" "old\n")
      execute_process(COMMAND "${TIMEOUT_PROGRAM}" -s ${signal} 3 "${CLI}" estimate ${DIGITS}
                              --estimators monte_carlo --sigma 0.1 --samples 100000000 --threads 1
                              --output stopped.csv
                      WORKING_DIRECTORY "${WORK_DIR}" RESULT_VARIABLE rc)
      if(NOT rc EQUAL 124)
        message(FATAL_ERROR "SIG${signal}: timeout exited with ${rc}, expected 124 (stopped)")
      endif()
      expect_file(stopped.csv "old\n")
      file(GLOB partials "${WORK_DIR}/stopped.csv.partial-*")
      list(LENGTH partials n)
      if(n GREATER 1)  # none if the signal came before the start (a loaded machine)
        message(FATAL_ERROR "SIG${signal}: expected one partial file, found '${partials}'")
      endif()
      file(REMOVE ${partials})
    endforeach()
  endif()

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "special_output")
  set(run estimate ${DIGITS} --rows 0:3 --sigma 0.1)
  # A directory.
  file(MAKE_DIRECTORY "${WORK_DIR}/adir")
  cli(2 ${run} --output adir)
  expect_match("${ERR}" "^probust-cli: --output adir is a directory; give a file name\n$"
               "directory")
  # A FIFO: refused, not replaced by a regular file (and not opened, which would block).
  find_program(MKFIFO_PROGRAM mkfifo)
  find_program(TEST_PROGRAM test)
  if(MKFIFO_PROGRAM AND TEST_PROGRAM)
    execute_process(COMMAND "${MKFIFO_PROGRAM}" fifo WORKING_DIRECTORY "${WORK_DIR}"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "mkfifo failed")
    endif()
    cli(2 ${run} --output fifo)
    expect_match("${ERR}" "^probust-cli: --output fifo is not a regular file \\(a FIFO, device"
                 "FIFO")
    execute_process(COMMAND "${TEST_PROGRAM}" -p fifo WORKING_DIRECTORY "${WORK_DIR}"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "the FIFO was replaced")
    endif()
    expect_no_partial(fifo)
  endif()
  # A device node, through a symbolic link to /dev/null (the rename would replace the link,
  # never /dev/null itself, so this is safe to run).
  if(EXISTS /dev/null)
    file(CREATE_LINK /dev/null "${WORK_DIR}/devnull" SYMBOLIC)
    cli(2 ${run} --output devnull)
    expect_match("${ERR}" "--output devnull is not a regular file" "device")
    if(NOT IS_SYMLINK "${WORK_DIR}/devnull")
      message(FATAL_ERROR "the link to /dev/null was replaced")
    endif()
    expect_no_partial(devnull)
  endif()

  # The inputs or the model file, under any name: refused, the file unchanged.
  file(STRINGS "${DATA_DIR}/digits.csv" digits LIMIT_COUNT 3)
  list(JOIN digits "\n" body)
  file(WRITE "${WORK_DIR}/in.csv" "${body}\n")
  file(READ "${DATA_DIR}/digits_tanh_64_64_10.model" model_text)
  file(WRITE "${WORK_DIR}/net.model" "${model_text}")
  set(mine estimate --model net.model --inputs in.csv --label-column last --sigma 0.1
           --no-progress)
  file(CREATE_LINK "${WORK_DIR}/in.csv" "${WORK_DIR}/hard_link.csv")
  file(CREATE_LINK in.csv "${WORK_DIR}/soft_link.csv" SYMBOLIC)
  foreach(name in.csv ./in.csv "${WORK_DIR}/in.csv" hard_link.csv soft_link.csv)
    cli(2 ${mine} --output "${name}")
    expect_match("${ERR}" "is the same file as --inputs in.csv, which it would replace"
                 "output = inputs (${name})")
  endforeach()
  cli(2 ${mine} --output net.model --format csv)
  expect_match("${ERR}" "--output net.model is the same file as --model net.model" "model")
  expect_file(in.csv "${body}\n")
  expect_file(net.model "${model_text}")
  expect_no_partial(in.csv)
  # An ordinary other file is still replaced.
  file(WRITE "${WORK_DIR}/old.csv" "old\n")
  cli(0 ${mine} --output old.csv)
  expect_csv_shape(old.csv 3)

# ---------------------------------------------------------------------------------------------
elseif(CASE STREQUAL "torchscript")
  # The TorchScript CNN of examples/python/train_cnn.py (only with a libtorch build).
  set(cnn --model "${DATA_DIR}/digits_cnn.pt" --inputs "${DATA_DIR}/digits.csv"
          --label-column last --input-scale 0.0625 --no-progress)
  set(run estimate ${cnn} --input-shape 1,8,8 --rows 0:20 --estimators taylor,monte_carlo
          --sigma 0.1 --samples 400)
  cli(0 ${run} --threads 1 --output one.csv)
  expect_csv_shape(one.csv 40)
  expect_match("${ERR}" "40 rows \\(20 points, 2 estimators, 1 sigma\\) written to one.csv; 0 with status error"
               "closing line")
  file(STRINGS "${WORK_DIR}/one.csv" lines)
  list(GET lines 1 first)
  expect_match("${first}" "^0,0,taylor,0.1,0,[^\n]*,user,[^\n]*,ok,$"
               "row 1 (point 0, label 0, predicted 0, autograd Jacobian)")
  cli(0 ${run} --threads 2 --output two.csv)
  expect_same_rows(one.csv two.csv)
  # Errors name the file or the shape.
  cli(2 estimate ${cnn} --sigma 0.1)
  expect_match("${ERR}" "digits_cnn.pt' looks like a TorchScript file; give the input shape"
               "a .pt file without --input-shape")
  cli(1 estimate ${cnn} --input-shape 1,8,7 --sigma 0.1)
  expect_match("${ERR}" "digits_cnn.pt does not accept an input of shape \\[1, 8, 7\\]"
               "a shape the network rejects")
  cli(1 estimate ${cnn} --input-shape 1,9,9 --sigma 0.1)
  expect_match("${ERR}" "expects 81 inputs but" "a shape with more inputs than the file has")
  cli(2 estimate ${cnn} --input-shape 1,0,8 --sigma 0.1)
  expect_match("${ERR}" "--input-shape: must be at least 1" "a zero dimension")

else()
  message(FATAL_ERROR "test_cli.cmake: unknown CASE '${CASE}'")
endif()
