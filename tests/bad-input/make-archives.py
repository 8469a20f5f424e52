# Writes the archive cases of the bad-input catalogue (zip-bomb.zip, tar-dotdot.tar, truncated.tar.gz)
# from invalid-utf8.txt's dump; run it here with python3 to make them again.
import gzip
import io
import tarfile
import zipfile

base = open('invalid-utf8.txt', 'rb').read().replace(b'\xe9', b'e')


def add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    archive.addfile(info, io.BytesIO(data))


# A zip bomb: the dump, then 100 MiB of one letter deflated about a thousand times.
z = io.BytesIO()
with zipfile.ZipFile(z, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as f:
    for name, data in [('node-a/iptables-save.txt', base),
                       ('node-a/notes.txt', b'a' * (100 * 1024 * 1024))]:
        f.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                   compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
open('zip-bomb.zip', 'wb').write(z.getvalue())

# A tar with paths that climb out of it and a link to a secret, then the dump.
t = io.BytesIO()
with tarfile.open(fileobj=t, mode='w', format=tarfile.GNU_FORMAT) as f:
    add(f, '../../../etc/cron.d/svcpath-test', b'* * * * * root true\n')
    add(f, 'node-a/../../outside.txt', base)
    link = tarfile.TarInfo('node-a/shadow')
    link.type = tarfile.SYMTYPE
    link.linkname = '/etc/shadow'
    link.mtime = 0
    f.addfile(link)
    add(f, 'node-a/iptables-save.txt', base)
open('tar-dotdot.tar', 'wb').write(t.getvalue())

# A .tar.gz cut in half: the dump, then a kernel log the cut falls inside.
t = io.BytesIO()
with tarfile.open(fileobj=t, mode='w', format=tarfile.GNU_FORMAT) as f:
    add(f, 'node-a/iptables-save.txt', base)
    log = b''.join(b'[%8d.000000] nf_conntrack: nf_conntrack: table full, dropping packet\n' % i
                   for i in range(20000))
    add(f, 'node-a/dmesg.txt', log)
gz = gzip.compress(t.getvalue(), mtime=0)
open('truncated.tar.gz', 'wb').write(gz[: len(gz) // 2])
