/*
 * Functions that are too easy to misuse, as git's banned.h does it: calling
 * one fails to compile. Included last by util.h, after the system headers.
 */
#ifndef SF_BANNED_H
#define SF_BANNED_H

#define SF_BANNED(f) sorry_##f##_is_banned_use_sf_buf_or_snprintf

#undef strcpy
#define strcpy(x, y) SF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SF_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SF_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SF_BANNED(strncat)
#undef sprintf
#define sprintf(...) SF_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SF_BANNED(vsprintf)
#undef gets
#define gets(x) SF_BANNED(gets)
#undef strtok
#define strtok(x, y) SF_BANNED(strtok)
#undef asctime
#define asctime(x) SF_BANNED(asctime)
#undef ctime
#define ctime(x) SF_BANNED(ctime)
#undef gmtime
#define gmtime(x) SF_BANNED(gmtime)
#undef localtime
#define localtime(x) SF_BANNED(localtime)

#endif
