import { type Command, Option } from 'commander';
import {
  loadAssignmentFile,
  printAssignment,
  printAssignments,
  resolveAssignment,
} from '../services/assignments.ts';
import { printCourse, printCourses, printEnrollment, printRoster } from '../services/courses.ts';
import { readTextArg } from '../services/files.ts';
import { printGradebook, printLanguages } from '../services/gradebook.ts';
import { action, examples, withGlobals } from './common.ts';

export function registerCourseCommands(program: Command): void {
  const course = program.command('course').description('Courses, enrollments and rosters');
  withGlobals(course.command('create'))
    .description('Create a course; you become its instructor (staff and admins)')
    .argument('<code>', 'short code, e.g. CS101')
    .requiredOption('--title <title>', 'the course title')
    .addHelpText('after', examples('aperture course create CS101 --title "Introduction to Programming"'))
    .action(
      action(async (ctx, code: string, opts: { title: string }) =>
        printCourse(await ctx.client.createCourse({ code, title: opts.title }), ctx.out),
      ),
    );
  withGlobals(course.command('list'))
    .description('Courses you are enrolled in (all of them, for admins)')
    .addHelpText('after', examples('aperture course list', 'aperture course list -o json'))
    .action(action(async (ctx) => printCourses(await ctx.client.listCourses(), ctx.out)));
  withGlobals(course.command('enroll'))
    .description('Enroll one person by username (the account is created if new)')
    .argument('<course>', 'course code or id')
    .argument('<username>', 'their username')
    .addOption(
      new Option('--role <role>', 'course role').choices(['student', 'ta', 'instructor']).default('student'),
    )
    .addHelpText(
      'after',
      examples('aperture course enroll CS101 ada', 'aperture course enroll CS101 grace --role ta'),
    )
    .action(
      action(async (ctx, code: string, username: string, opts: { role: 'student' | 'ta' | 'instructor' }) => {
        const enrollment = await ctx.client.enroll(code, { username, role: opts.role });
        printEnrollment(enrollment, username, code, ctx.out);
      }),
    );
  withGlobals(course.command('roster'))
    .description('Import a roster CSV (username[,name,email,role]); all rows or none')
    .argument('<course>', 'course code or id')
    .argument('<file>', 'the CSV file, or - for stdin')
    .addHelpText(
      'after',
      examples('aperture course roster CS101 roster.csv', 'cat roster.csv | aperture course roster CS101 -'),
    )
    .action(
      action(async (ctx, code: string, file: string) =>
        printRoster(await ctx.client.importRoster(code, await readTextArg(file)), ctx.out),
      ),
    );

  const assignment = program.command('assignment').description('Assignments of a course');
  withGlobals(assignment.command('create'))
    .description('Create an assignment from a JSON or YAML file')
    .requiredOption('-f, --file <file>', 'the assignment (body of POST /api/v1/courses/{course}/assignments)')
    .requiredOption('--course <course>', 'course code or id')
    .addHelpText(
      'after',
      `${examples('aperture assignment create -f sum.yaml --course CS101')}
Besides the API fields, a test may give stdinFile / expectedOutputFile, and the assignment
autograderDir (a Gradescope autograder folder); paths are relative to the file.
`,
    )
    .action(
      action(async (ctx, opts: { file: string; course: string }) => {
        const body = await loadAssignmentFile(opts.file);
        const created = await ctx.client.createAssignment(opts.course, body);
        ctx.out.result(created, (a) => `Created ${opts.course}/${a.slug} (${a.id}).`);
      }),
    );
  withGlobals(assignment.command('list'))
    .description('Assignments of a course')
    .argument('<course>', 'course code or id')
    .addHelpText('after', examples('aperture assignment list DEMO101'))
    .action(
      action(async (ctx, code: string) => printAssignments(await ctx.client.listAssignments(code), ctx.out)),
    );
  withGlobals(assignment.command('get'))
    .description('One assignment, by id or COURSE/slug')
    .argument('<assignment>', 'an assignment id, or COURSE/slug')
    .addHelpText(
      'after',
      examples('aperture assignment get DEMO101/sum', 'aperture assignment get asg_01J... -o json'),
    )
    .action(
      action(async (ctx, ref: string) => printAssignment(await resolveAssignment(ctx.client, ref), ctx.out)),
    );

  withGlobals(program.command('gradebook'))
    .description('Best score per student and assignment (course staff)')
    .argument('<course>', 'course code or id')
    .option('--csv', 'print CSV (for a spreadsheet) instead of a table')
    .addHelpText('after', examples('aperture gradebook CS101', 'aperture gradebook CS101 --csv > grades.csv'))
    .action(
      action(async (ctx, code: string, opts: { csv?: boolean }) => {
        if (opts.csv) ctx.out.raw(await ctx.client.gradebookCsv(code));
        else printGradebook(await ctx.client.gradebook(code), ctx.out);
      }),
    );

  withGlobals(program.command('languages'))
    .description('Languages the server runs')
    .addHelpText('after', examples('aperture languages', 'aperture languages -o json'))
    .action(action(async (ctx) => printLanguages(await ctx.client.languages(), ctx.out)));
}
