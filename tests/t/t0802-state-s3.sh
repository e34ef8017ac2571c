#!/usr/bin/env bash
# The S3 backend of the state, as CI runners use it: two checkouts share
# one state object in a bucket of a loopback S3 (tests/support/s3d.c,
# which verifies every SigV4 signature), racing applies lose nothing, and
# a missing bucket or a wrong secret gets a clear error without secrets.
# (Lock contention and stale locks: tests/unit/test_storage_s3.c.)
. "$(dirname "$0")/lib.sh"

test -x "${SF_TEST_S3D:-}" || skip_all "SF_TEST_S3D (sf-test-s3d) is not built"
export SANDFORM_LOCAL_BACKEND=echo
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=AKIDEXAMPLETESTONLY
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_CONFIG_FILE=$TRASH/none AWS_SHARED_CREDENTIALS_FILE=$TRASH/none
CP=$TRASH/cp
cleanup() {
	test -s "$CP/pid" && kill "$(cat "$CP/pid")" 2>/dev/null
	test -n "${s3pid:-}" && kill "$s3pid" 2>/dev/null
	rm -rf "$TRASH"
}
trap cleanup EXIT

"$SF_TEST_S3D" s3url team-state >s3d.log 2>&1 &
s3pid=$!
for _ in $(seq 1 250); do
	test -s s3url && break
	sleep 0.02
done
check 'the S3 listens' test -s s3url
url=$(cat s3url)

mkdir -p "$CP"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	"$SANDFORM" local serve --quiet --data "$CP/data" --pid-file "$CP/pid" \
	--port-file "$CP/port" >serve.log 2>&1 &
for _ in $(seq 1 250); do
	test -s "$CP/port" && break
	sleep 0.02
done
for c in a b; do
	mkdir -p "$c/state"
	ln -s "$CP" "$c/state/local"
	cat >"$c/main.yaml" <<-EOF2
	version: 1
	state:
	  backend: s3
	  bucket: team-state
	  key: infra/prod.json
	  region: us-east-1
	  endpoint: $url
	interpreters:
	  alpha: {}
	  beta: { network: SANDBOX }
	EOF2
done

expect_success 'apply from checkout a' sandform apply --auto-approve a
expect_output '... creates both' stdout 'Interpreters: 2 added'
check '... and writes no local state file' test ! -e a/state/sandform.state.json
expect_status 'checkout b shares the state: no changes' 0 \
	sandform plan --detailed-exitcode b
expect_success 'state pull from S3' sandform state pull b
cp "$OUT" pulled.json
check '... is the state of both interpreters' \
	test "$(json_get pulled.json '.interpreters | length')" = 2

# Two applies of one change at once: the lock object lets one in at a time.
printf '  gamma: {}\n' | tee -a a/main.yaml >>b/main.yaml
"$SANDFORM" apply --auto-approve a >race_a.out 2>race_a.err &
pa=$!
"$SANDFORM" apply --auto-approve b >race_b.out 2>race_b.err &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
check 'at least one racing apply succeeded' test $sa -eq 0 -o $sb -eq 0
for x in a b; do
	eval "st=\$s$x"
	if [ "$st" -ne 0 ]; then
		check "the loser ($x) says who holds the lock or that the state moved" \
			grep -Eq 'locked by pid [0-9]+ on|changed since' "race_$x.err"
	fi
done
expect_status 'after the race: no changes from a' 0 sandform plan --detailed-exitcode a
expect_status '... nor from b' 0 sandform plan --detailed-exitcode b
expect_success 'local status' sandform local status --state a/state --json
check 'exactly 3 interpreters: none lost, none twice' \
	test "$(json_get "$OUT" .interpreters)" = 3

# state push and force-unlock through the S3 backend.
expect_success 'state push of the pulled state works while unlocked' \
	sandform state push --force pulled.json a
expect_failure 'force-unlock without a lock' sandform force-unlock 5f0c3a52-9a7e-4c1d-8f3b-2d4e6a8b0c1e a
expect_output '... says there is none' stderr 'no lock|not locked'

# A missing bucket.
mkdir -p c/state && ln -s "$CP" c/state/local
sed 's/bucket: team-state/bucket: no-such-bucket/' a/main.yaml >c/main.yaml
expect_failure 'plan with a missing bucket' sandform plan c
expect_output '... names the bucket' stderr 'bucket no-such-bucket does not exist'
expect_no_output '... and shows no secret' stderr "$AWS_SECRET_ACCESS_KEY"

# Wrong credentials: refused by the server, and the secret stays secret.
AWS_SECRET_ACCESS_KEY=not-the-secret-key expect_failure 'plan with a wrong secret' sandform plan a
expect_output '... is refused by S3' stderr 'SignatureDoesNotMatch'
expect_no_output '... without the secret in the message' stderr 'not-the-secret-key'

# The backend from the environment instead of the manifests (CI that picks
# it per pipeline): SANDFORM_STATE_BACKEND replaces the block.
mkdir -p e
printf 'version: 1\ninterpreters:\n  alpha: {}\n' >e/main.yaml
SANDFORM_STATE_BACKEND=s3 SANDFORM_STATE_BUCKET=team-state \
	SANDFORM_STATE_KEY=infra/prod.json SANDFORM_STATE_REGION=us-east-1 \
	SANDFORM_STATE_ENDPOINT=$url expect_success 'state list with the backend from the environment' \
	sandform state list e
expect_output '... reads the shared state' stdout '^beta +beta-'
check '... and no local one' test ! -e e/state/sandform.state.json
expect_success 'the same from --backend-config flags' sandform state list e \
	--backend-config backend=s3 --backend-config bucket=team-state \
	--backend-config=key=infra/prod.json --backend-config region=us-east-1 \
	--backend-config "endpoint=$url"
expect_output '... reads the shared state' stdout '^beta +beta-'
expect_failure '--backend-config with an unknown key' sandform state list e --backend-config bukket=x
expect_output '... lists the keys' stderr 'KEY one of backend, remote, ref, bucket, key, region, endpoint; not "bukket=x"'
SANDFORM_STATE_BACKEND=ftp expect_failure 'a bad SANDFORM_STATE_BACKEND' sandform state list e
expect_output '... is named' stderr 'SANDFORM_STATE_BACKEND must be local, git or s3, not "ftp"'
SANDFORM_STATE_BACKEND=s3 expect_failure 's3 from the environment without a bucket' sandform state list e
expect_output '... says what is missing' stderr 'the s3 backend needs a bucket'

done_testing
